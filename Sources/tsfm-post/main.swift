import ArgumentParser
import TSFMCommandLine
import TSFMCore

@main
struct TsfmPost: ParsableCommand {
    /// `--help` and `--version` to a full disk exit 74, not 0.
    static func main() {
        ToolMain.checkStandardOutputAtExit()
        main(ToolConfig.arguments(tool: "tsfm-post"))
    }

    static let configuration = CommandConfiguration(
        commandName: "tsfm-post",
        abstract: "Make forecast bands safe: inside [0,1], ordered, and within width guards.",
        discussion: """
            Reads forecasts (NDJSON) and writes them with a repaired yhat_q; every other
            field passes through unchanged. Per record, in order:
              1. meta.yhat_space "logit": values are mapped back (logistic function).
              2. Every value is clipped into [0, 1].            warning: clipped
              3. A step whose levels cross is sorted.           quantile_crossing_fixed
              4. Width guard on the outer band (lowest vs highest level), per step:
                 below --min-width, both ends move out by half the shortfall, and
                 the pair shifts back inside [0,1] if it crosses a bound; inner
                 levels stay.                                   width_expanded
                 above --max-width, every level is pulled toward the median (0.5
                 level, else the outer midpoint) by max-width/width.
                                                                width_clamped
            Counts go to meta.post, codes to meta.warnings. See docs/tsfm-post.md.

            Examples:
              tsfm-forecast requests.ndjson | tsfm-post > safe.ndjson
              tsfm-post --min-width 0.05 --summary examples/forecasts.ndjson
              tsfm-post --on-error skip raw.ndjson > safe.ndjson
            """,
        version: TSFM.version
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var state: StateDirOption

    @Option(help: "Minimum width of the outer band per step.")
    var minWidth: Double = BandGuard.defaultMinWidth

    @Option(help: "Maximum width of the outer band per step.")
    var maxWidth: Double = BandGuard.defaultMaxWidth

    func validate() throws {
        guard minWidth >= 0, minWidth <= 1 else { throw ValidationError("--min-width must be in [0, 1]") }
        guard maxWidth > 0, maxWidth <= 1 else { throw ValidationError("--max-width must be in (0, 1]") }
        guard minWidth <= maxWidth else { throw ValidationError("--min-width must not exceed --max-width") }
    }

    func run() throws {
        common.run(tool: "tsfm-post", stateDir: state.path) { output, log, metrics in
            let stream = common.stream(tool: "tsfm-post", output: output)
            var post = PostProcessor(minWidth: minWidth, maxWidth: maxWidth)
            metrics?.collect { m, _ in
                m.stream(stream.totals)
                m.bandGuards(post.totals)
            }
            try stream.map { record, _ in try post.process(&record) }
            if common.summary {
                let t = post.totals
                log.summary(stream.totals, [
                    ("crossings_fixed", .int(t.crossingsFixed)),
                    ("clipped", .int(t.clipped)), ("expanded", .int(t.expanded)), ("clamped", .int(t.clamped)),
                ])
            }
            return stream.exitStatus
        }
    }
}
