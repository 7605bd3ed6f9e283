package dev.mithril.runtime;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small JSON subset safetensors headers need. Parsing yields {@link LinkedHashMap} (key order kept,
 * duplicate keys rejected), {@link List}, {@link String}, {@link Long} for integers, {@link BigDecimal} for
 * other numbers, {@link Boolean} and {@code null}. Writing matches Python's compact
 * {@code json.dumps(..., separators=(",", ":"))}, non-ASCII escaped, so headers are byte-identical.
 */
public final class Json {
    /** A syntax error; the message includes the character offset. */
    public static final class ParseException extends RuntimeException {
        ParseException(String msg, int pos) { super(msg + " at offset " + pos); }
    }

    private final String s;
    private int pos;

    private Json(String s) { this.s = s; }

    public static Object parse(String text) {
        Json p = new Json(text);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.pos != text.length()) throw new ParseException("trailing characters after JSON value", p.pos);
        return v;
    }

    private Object value(int depth) {
        if (depth > 64) throw new ParseException("nesting deeper than 64", pos);
        if (pos >= s.length()) throw new ParseException("unexpected end of input", pos);
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw new ParseException("unexpected character '" + c + "'", pos);
            }
        };
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        pos++;
        ws();
        if (peek() == '}') { pos++; return m; }
        while (true) {
            ws();
            if (peek() != '"') throw new ParseException("expected a string key", pos);
            int keyPos = pos;
            String k = string();
            ws();
            expect(':');
            ws();
            Object v = value(depth + 1);
            if (m.containsKey(k)) throw new ParseException("duplicate key \"" + k + "\"", keyPos);
            m.put(k, v);
            ws();
            char c = next();
            if (c == '}') return m;
            if (c != ',') throw new ParseException("expected ',' or '}'", pos - 1);
        }
    }

    private List<Object> array(int depth) {
        List<Object> l = new ArrayList<>();
        pos++;
        ws();
        if (peek() == ']') { pos++; return l; }
        while (true) {
            ws();
            l.add(value(depth + 1));
            ws();
            char c = next();
            if (c == ']') return l;
            if (c != ',') throw new ParseException("expected ',' or ']'", pos - 1);
        }
    }

    private String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') return sb.toString();
            if (c < 0x20) throw new ParseException("control character in string", pos - 1);
            if (c != '\\') { sb.append(c); continue; }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) throw new ParseException("truncated \\u escape", pos);
                    try {
                        sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw new ParseException("bad \\u escape", pos);
                    }
                    pos += 4;
                }
                default -> throw new ParseException("bad escape '\\" + e + "'", pos - 1);
            }
        }
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') pos++;
        digits();
        boolean integer = true;
        if (pos < s.length() && s.charAt(pos) == '.') { integer = false; pos++; digits(); }
        if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            integer = false;
            pos++;
            if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
            digits();
        }
        String t = s.substring(start, pos);
        if (integer) {
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException ex) {
                return new BigDecimal(t); // beyond 64 bits: callers that need a long reject it
            }
        }
        return new BigDecimal(t);
    }

    private void digits() {
        int start = pos;
        while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
        if (pos == start) throw new ParseException("expected a digit", pos);
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, pos)) throw new ParseException("unexpected token", pos);
        pos += word.length();
        return v;
    }

    private void ws() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private char peek() {
        if (pos >= s.length()) throw new ParseException("unexpected end of input", pos);
        return s.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) {
        if (peek() != c) throw new ParseException("expected '" + c + "'", pos);
        pos++;
    }

    // ---------------------------------------------------------------- writing

    /** Appends {@code v} (Map, List, String, Number, Boolean, null, int[] or long[]) as compact JSON. */
    static void write(StringBuilder sb, Object v) {
        switch (v) {
            case null -> sb.append("null");
            case String str -> quote(sb, str);
            case Number num -> sb.append(num);
            case Boolean b -> sb.append(b);
            case int[] a -> { sb.append('['); for (int i = 0; i < a.length; i++) { if (i > 0) sb.append(','); sb.append(a[i]); } sb.append(']'); }
            case long[] a -> { sb.append('['); for (int i = 0; i < a.length; i++) { if (i > 0) sb.append(','); sb.append(a[i]); } sb.append(']'); }
            case List<?> l -> { sb.append('['); for (int i = 0; i < l.size(); i++) { if (i > 0) sb.append(','); write(sb, l.get(i)); } sb.append(']'); }
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    quote(sb, (String) e.getKey());
                    sb.append(':');
                    write(sb, e.getValue());
                }
                sb.append('}');
            }
            default -> throw new IllegalArgumentException("Json.write: cannot write " + v.getClass().getName());
        }
    }

    static void quote(StringBuilder sb, String str) {
        sb.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
