package dev.mithril.examples.train;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the gzip'ed IDX files of MNIST and Fashion-MNIST: a big-endian magic {@code 0x000008NN} (unsigned
 * bytes, NN dimensions), NN big-endian int32 sizes, then the bytes. Malformed files raise
 * {@link IllegalArgumentException} naming the file and the problem.
 */
public final class Idx {
    /** The decoded file: its dimensions and the raw unsigned bytes. */
    public record Data(int[] dims, byte[] bytes) {}

    private Idx() {}

    public static Data read(Path file) {
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new GZIPInputStream(raw, 1 << 16))) {
            int magic = in.readInt();
            if ((magic >>> 8) != 0x08) {
                throw new IllegalArgumentException(file + ": not an IDX file of unsigned bytes (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int rank = magic & 0xff;
            if (rank < 1 || rank > 4) throw new IllegalArgumentException(file + ": IDX rank " + rank + " is not 1 to 4");
            int[] dims = new int[rank];
            long n = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 0) throw new IllegalArgumentException(file + ": negative IDX dimension " + dims[i]);
                n *= dims[i];
            }
            if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(file + ": IDX data of " + n + " bytes is too large");
            byte[] bytes = new byte[(int) n];
            in.readFully(bytes);
            if (in.read() != -1) throw new IllegalArgumentException(file + ": trailing bytes after " + n + " bytes of IDX data");
            return new Data(dims, bytes);
        } catch (EOFException e) {
            throw new IllegalArgumentException(file + ": truncated IDX file", e);
        } catch (java.util.zip.ZipException e) {
            throw new IllegalArgumentException(file + ": not a gzip file (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
