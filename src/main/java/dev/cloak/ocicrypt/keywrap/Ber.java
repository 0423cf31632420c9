package dev.cloak.ocicrypt.keywrap;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Just enough ASN.1 for CMS as Go's pkcs7 packages write it. Bouncy Castle's parser refuses their output:
 * they put the AES-GCM parameters inside a SEQUENCE tag whose constructed bit is clear. Reads BER
 * (definite and indefinite lengths, one-octet tags) into a tree; writes DER.
 */
final class Ber {
    static final int INTEGER = 0x02;
    static final int OCTET_STRING = 0x04;
    static final int OID = 0x06;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;
    /** Nesting far beyond what CMS needs; deeper input is refused rather than followed. */
    private static final int MAX_DEPTH = 24;

    private Ber() {
    }

    /** Input that is not the ASN.1 expected; carries no data, the caller says what it was reading. */
    static final class Malformed extends RuntimeException {
        Malformed() {
            super(null, null, false, false);
        }
    }

    /** One element: its identifier octet, its whole encoding as read, and its content or its children. */
    record Node(int tag, byte[] encoded, byte[] content, List<Node> children) {
        boolean constructed() {
            return (tag & 0x20) != 0;
        }

        int count() {
            return children == null ? 0 : children.size();
        }

        Node child(int i) {
            if (i >= count()) {
                throw new Malformed();
            }
            return children.get(i);
        }

        Node expect(int wanted) {
            if (tag != wanted) {
                throw new Malformed();
            }
            return this;
        }

        BigInteger integer() {
            if (tag != INTEGER || content == null || content.length == 0) {
                throw new Malformed();
            }
            return new BigInteger(content);
        }

        String oid() {
            if (tag != OID || content == null) {
                throw new Malformed();
            }
            try {
                return ASN1ObjectIdentifier.getInstance(encoded).getId();
            } catch (IllegalArgumentException e) {
                throw new Malformed();
            }
        }

        /** The octets of a primitive element, or of a constructed one's primitive pieces joined (BER). */
        byte[] octets() {
            if (!constructed()) {
                return content;
            }
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            for (Node piece : children) {
                joined.writeBytes(piece.octets());
            }
            return joined.toByteArray();
        }
    }

    static Node parse(byte[] data) {
        Reader reader = new Reader(data);
        Node node = reader.read(0);
        if (reader.pos != data.length) {
            throw new Malformed();
        }
        return node;
    }

    private static final class Reader {
        private final byte[] data;
        private int pos;

        Reader(byte[] data) {
            this.data = data;
        }

        Node read(int depth) {
            if (depth > MAX_DEPTH) {
                throw new Malformed();
            }
            int start = pos;
            int tag = next();
            if ((tag & 0x1f) == 0x1f) {
                throw new Malformed();
            }
            boolean constructed = (tag & 0x20) != 0;
            int first = next();
            if (first == 0x80) {
                if (!constructed) {
                    throw new Malformed();
                }
                List<Node> children = new ArrayList<>();
                while (peek(0) != 0 || peek(1) != 0) {
                    children.add(read(depth + 1));
                }
                pos += 2;
                return new Node(tag, Arrays.copyOfRange(data, start, pos), null, children);
            }
            int length = length(first);
            int end = pos + length;
            if (end > data.length || end < pos) {
                throw new Malformed();
            }
            if (!constructed) {
                byte[] content = Arrays.copyOfRange(data, pos, end);
                pos = end;
                return new Node(tag, Arrays.copyOfRange(data, start, end), content, null);
            }
            int contentStart = pos;
            List<Node> children = new ArrayList<>();
            while (pos < end) {
                children.add(read(depth + 1));
            }
            if (pos != end) {
                throw new Malformed();
            }
            return new Node(tag, Arrays.copyOfRange(data, start, end), Arrays.copyOfRange(data, contentStart, end),
                    children);
        }

        private int length(int first) {
            if (first < 0x80) {
                return first;
            }
            int octets = first & 0x7f;
            if (octets > 4) {
                throw new Malformed();
            }
            long length = 0;
            for (int i = 0; i < octets; i++) {
                length = (length << 8) | next();
            }
            if (length > Integer.MAX_VALUE) {
                throw new Malformed();
            }
            return (int) length;
        }

        private int next() {
            if (pos >= data.length) {
                throw new Malformed();
            }
            return data[pos++] & 0xff;
        }

        private int peek(int ahead) {
            if (pos + ahead >= data.length) {
                throw new Malformed();
            }
            return data[pos + ahead] & 0xff;
        }
    }

    // ---- DER writing

    static byte[] der(int tag, byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            content.writeBytes(part);
        }
        int length = content.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
        out.write(tag);
        if (length < 0x80) {
            out.write(length);
        } else {
            int octets = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | octets);
            for (int i = octets - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    static byte[] integer(BigInteger value) {
        return der(INTEGER, value.toByteArray());
    }

    static byte[] oid(String dotted) {
        try {
            return new ASN1ObjectIdentifier(dotted).getEncoded();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot encode the OID " + dotted, e);
        }
    }
}
