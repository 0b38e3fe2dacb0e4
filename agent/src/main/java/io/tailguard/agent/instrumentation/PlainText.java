package io.tailguard.agent.instrumentation;

/** What an adapter may write into a header line itself, past the client's own checks. */
public final class PlainText {

    private PlainText() {
    }

    /** Visible ASCII, spaces and tabs: nothing that could end a header line or need encoding. */
    public static boolean plain(String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t') || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
