import Foundation
import RunEvents
import Testing

/// `dafl distill --tensorboard DIR` (live) and `dafl export tensorboard LOG DIR` on the same run give
/// TensorBoard the run log's series; a file that is not a run log is named in an error.
@Suite(.serialized) struct ExportEndToEndTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Scalars per tag as [step, value], read by TensorBoard's EventAccumulator (nil without the package).
    static func scalars(_ dir: URL) throws -> [String: [[Double]]]? {
        let (status, out) = try CLI.runTool("/usr/bin/env", ["python3", "-c", "import tensorboard"])
        guard status == 0 else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must have TensorBoard's Python package: \(out)")
            return nil
        }
        let (s, json) = try CLI.runTool("/usr/bin/env", ["python3", repo.appendingPathComponent("scripts/tensorboard_dump.py").path, dir.path])
        #expect(s == 0, "\(json)")
        let dump = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return dump?["scalars"] as? [String: [[Double]]]
    }

    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func liveAndExportedAgreeWithTheLog() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run"), live = dir.appendingPathComponent("live"), exported = dir.appendingPathComponent("exported")
        var (status, out) = try CLI.run(DistillEndToEndTests.args(run) + ["--tensorboard", live.path])
        #expect(status == 0, "\(out)")
        let log = run.appendingPathComponent("events.jsonl").path
        (status, out) = try CLI.run(["export", "tensorboard", log, exported.path])
        #expect(status == 0 && out.contains("events.out.tfevents."), "\(out)")
        guard let fromLive = try Self.scalars(live), let fromExport = try Self.scalars(exported) else { return }
        let steps = RunHistory.effective(CLI.events(log)).compactMap { if case .step(let s) = $0 { s } else { nil } }
        #expect(steps.count == 24)
        for tag in ["loss/one_hot", "loss/activation", "loss/info_entropy", "loss/kd", "loss/total", "weights/beta", "lr/generator"] {
            #expect(fromLive[tag] == fromExport[tag], "\(tag)")
            #expect(fromExport[tag]?.map { Int($0[0]) } == steps.map(\.step), "\(tag)")
        }
        #expect(zip(fromExport["loss/kd"] ?? [], steps).allSatisfy { Float($0.0[1]) == Float($0.1.kd) })

        // Not a run log: the error names the file.
        let junk = dir.appendingPathComponent("junk.jsonl")
        try Data("hello\n".utf8).write(to: junk)
        (status, out) = try CLI.run(["export", "tensorboard", junk.path, exported.path])
        #expect(status != 0 && out.contains(junk.path) && out.contains("does not look like a dafl run log"), "\(out)")
    }
}
