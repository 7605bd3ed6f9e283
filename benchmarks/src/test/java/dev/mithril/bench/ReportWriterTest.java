package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Each format on one fixed report, byte for byte. */
class ReportWriterTest {
    private static Report report() {
        return new Report()
                .environment("Hardware", "Xeon, 2 cores")
                .environment("JDK", "25")
                .table(new Report.Table("inference", "Inference",
                        List.of("Backend", "Batch Size", "Throughput (samples/s)", "Latency (ms)"),
                        List.of(List.of("Java/Full", 32, 51234.567, 0.6246),
                                List.of("Java|None", 1024, 12.5, Double.NaN)),
                        List.of("median of 10")))
                .note("resnet18: not available yet");
    }

    @Test
    void table() {
        assertEquals("""
                Hardware: Xeon, 2 cores
                JDK: 25

                Inference
                Backend    Batch Size  Throughput (samples/s)  Latency (ms)
                ---------  ----------  ----------------------  ------------
                Java/Full          32                  51,235         0.625
                Java|None       1,024                    12.5             -
                  note: median of 10

                note: resnet18: not available yet
                """, ReportWriter.write(report(), BenchOptions.Format.TABLE));
    }

    @Test
    void markdown() {
        assertEquals("""
                - **Hardware**: Xeon, 2 cores
                - **JDK**: 25

                ### Inference

                | Backend | Batch Size | Throughput (samples/s) | Latency (ms) |
                |---|---|---|---|
                | Java/Full | 32 | 51,235 | 0.625 |
                | Java\\|None | 1,024 | 12.5 | - |

                > median of 10

                - resnet18: not available yet
                """, ReportWriter.write(report(), BenchOptions.Format.MARKDOWN));
    }

    @Test
    void csv() {
        assertEquals("""
                # environment
                key,value
                Hardware,"Xeon, 2 cores"
                JDK,25

                # Inference
                Backend,Batch Size,Throughput (samples/s),Latency (ms)
                Java/Full,32,51234.567,0.6246
                Java|None,1024,12.5,
                """, ReportWriter.write(report(), BenchOptions.Format.CSV));
    }

    @Test
    void json() {
        assertEquals("""
                {
                  "environment": {
                    "Hardware": "Xeon, 2 cores",
                    "JDK": "25"
                  },
                  "tables": [
                    {"id": "inference", "title": "Inference",
                     "columns": ["Backend", "Batch Size", "Throughput (samples/s)", "Latency (ms)"],
                     "rows": [
                       {"Backend": "Java/Full", "Batch Size": 32, "Throughput (samples/s)": 51234.567, "Latency (ms)": 0.6246},
                       {"Backend": "Java|None", "Batch Size": 1024, "Throughput (samples/s)": 12.5, "Latency (ms)": null}
                     ],
                     "notes": ["median of 10"]}
                  ],
                  "notes": ["resnet18: not available yet"]
                }
                """, ReportWriter.write(report(), BenchOptions.Format.JSON));
    }

    @Test
    void rowWidthIsChecked() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Report.Table("t", "T", List.of("a", "b"), List.of(List.of(1)), List.of()));
    }

    @Test
    void tinyFiguresKeepTwoSignificantDigits() {
        Report r = new Report().table(new Report.Table("overhead", "Harness overhead", List.of("Share (%)", "Zero", "Small"),
                List.of(List.of(0.000423, 0.0, 0.0042)), List.of()));
        assertEquals("""

                ### Harness overhead

                | Share (%) | Zero | Small |
                |---|---|---|
                | 4.2e-04 | 0.000 | 0.004 |
                """, ReportWriter.write(r, BenchOptions.Format.MARKDOWN));
    }
}
