package dev.mithril.runtime;

/** A safetensors file is malformed; the message names the file and what is wrong with it. */
public class SafetensorsFormatException extends RuntimeException {
    public SafetensorsFormatException(String message) { super(message); }

    public SafetensorsFormatException(String message, Throwable cause) { super(message, cause); }
}
