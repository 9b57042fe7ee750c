/// Metric rows as NDJSON, an aligned table for people, or CSV.
public enum EvalFormat: String, CaseIterable, Sendable {
    case ndjson, table, csv
}

public enum EvalOutput {
    /// Column headers and cells (nil = not defined) of the flattened rows.
    static func columns(_ rows: [JSONObject], groupNames: [String]) -> (headers: [String], cells: [[String?]], numeric: [Bool]) {
        var pairs: [(String, Double)] = []
        for row in rows {
            for (name, value) in row["coverage"]?.object?.members ?? [] where !pairs.contains(where: { $0.0 == name }) {
                pairs.append((name, value.object?["nominal"]?.number ?? 0))
            }
        }
        pairs.sort { $0.1 > $1.1 }
        let hasTarget = rows.contains { row in row["coverage"]?.object?.members.contains { $0.value.object?["target"] != nil } ?? false }
        var headers = (rows.first?["split"] != nil ? ["split"] : []) + groupNames + ["n_records", "n_steps"]
        // The conformal target sits beside the empirical coverage of the outer pair it is for.
        for (i, (p, _)) in pairs.enumerated() {
            headers.append("coverage " + p)
            if i == 0 && hasTarget { headers += ["target " + p, "meets"] }
            headers += ["width " + p, "winkler " + p]
        }
        headers += ["pinball"] + MetricAccumulator.scalarColumns.map { $0.column! }
        let numeric = headers.map { !($0 == "split" || $0 == "meets" || groupNames.contains($0)) || $0 == "step" }
        let cells: [[String?]] = rows.map { row in
            func text(_ v: JSONValue?) -> String? {
                switch v {
                case .string(let s)?: return s
                case .int(let i)?: return String(i)
                case .double(let d)?: return d.description
                default: return nil
                }
            }
            var out: [String?] = headers.prefix(while: { $0 != "n_records" }).map { text(row[$0]) }
            out += [text(row["n_records"]), text(row["n_steps"])]
            for (i, (p, _)) in pairs.enumerated() {
                let c = row["coverage"]?.object?[p]?.object
                out.append(text(c?["empirical"]))
                if i == 0 && hasTarget {
                    out.append(text(c?["target"]))
                    out.append(c?["meets_target"]?.bool.map { $0 ? "meets" : "MISSES" })
                }
                out += [text(row["mean_width"]?.object?[p]), text(row["winkler"]?.object?[p])]
            }
            out.append(text(row["pinball"]?.object?["mean"]))
            out += MetricAccumulator.scalarColumns.map { text(row[$0.key]) }
            return out
        }
        return (headers, cells, numeric)
    }

    /// Four decimals, locale-free.
    static func fixed(_ text: String?) -> String {
        guard let text else { return "-" }
        guard let x = Double(text), text.contains(".") || text.contains("e") else { return text }
        let scaled = Int64((abs(x) * 10_000).rounded())
        let whole = scaled / 10_000
        let frac = String(scaled % 10_000)
        return (x < 0 && scaled != 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: 4 - frac.count) + frac
    }

    public static func render(_ rows: [JSONObject], format: EvalFormat, groupNames: [String]) throws -> [String] {
        switch format {
        case .ndjson:
            return try rows.map { try JSONValue.object($0).jsonText() }
        case .csv:
            let (headers, cells, numeric) = columns(rows, groupNames: groupNames)
            func quote(_ s: String) -> String {
                s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
                    ? "\"" + s.replacingAll("\"", "\"\"") + "\"" : s
            }
            // Text cells (group values from the input) are guarded against formula injection.
            return [headers.map(quote).joined(separator: ",")] + cells.map { row in
                row.enumerated().map { i, cell in
                    quote(numeric[i] ? cell ?? "" : CSVText.guarded(cell ?? ""))
                }.joined(separator: ",")
            }
        case .table:
            let (headers, cells, numeric) = columns(rows, groupNames: groupNames)
            let shown = cells.map { row in
                row.enumerated().map { numeric[$0.offset] ? fixed($0.element) : TerminalText.escaped($0.element ?? "-") }
            }
            let widths = headers.indices.map { i in max(headers[i].count, shown.map { $0[i].count }.max() ?? 0) }
            func line(_ values: [String]) -> String {
                values.enumerated().map { i, v in
                    let pad = String(repeating: " ", count: widths[i] - v.count)
                    return numeric[i] ? pad + v : v + pad
                }.joined(separator: "  ")
            }
            return [line(headers), line(widths.map { String(repeating: "-", count: $0) })] + shown.map(line)
        }
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
