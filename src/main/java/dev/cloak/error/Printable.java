package dev.cloak.error;

/**
 * Makes text that comes from outside (an image's annotations, a registry's reply) safe to put in a
 * message: control characters become '?', and long values are cut, so nobody can forge log lines or
 * flood them through an image.
 */
public final class Printable {
    private static final int MAX = 80;

    private Printable() {
    }

    public static String of(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX + 3));
        for (int i = 0; i < text.length() && out.length() < MAX; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) || Character.getType(c) == Character.LINE_SEPARATOR
                    || Character.getType(c) == Character.PARAGRAPH_SEPARATOR ? '?' : c);
        }
        if (text.length() > MAX) {
            out.append("...");
        }
        return out.toString();
    }
}
