package dev.mithril.examples.cli;

/** Bad command-line input: the message says what and where; {@link Main} prints it with the usage and exits 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) { super(message); }
}
