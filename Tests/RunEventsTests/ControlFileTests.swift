import Foundation
import Testing
@testable import RunEvents

@Suite struct ControlFileTests {
    func tempFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("control-\(UUID().uuidString).jsonl").path
    }

    func append(_ text: String, to path: String) throws {
        let h = FileHandle(forWritingAtPath: path) ?? { FileManager.default.createFile(atPath: path, contents: nil); return FileHandle(forWritingAtPath: path)! }()
        try h.seekToEnd(); try h.write(contentsOf: Data(text.utf8)); try h.close()
    }

    @Test func commandsRoundTripAndStartAtTheEnd() throws {
        let path = tempFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ControlFile.append(.pause, source: "old", to: path)
        let reader = ControlFile.Reader(path: path)  // what was there before is not replayed
        #expect(reader.poll().isEmpty)
        let commands: [TrainerCommand] = [.pause, .scale(.beta, 1.25), .set(.alpha, 0.3), .stepOnce, .checkpoint, .resume, .stop(reason: "stopped")]
        let ids = try commands.map { try ControlFile.append($0, source: "watch", to: path) }
        let read = reader.poll()
        #expect(read == zip(commands, ids).map { .command($0, source: "file:watch", id: $1) })
        #expect(reader.poll().isEmpty)
        #expect(ControlFile.path(besideLog: "runs/x/events.jsonl") == "runs/x/control.jsonl")
    }

    @Test func badLinesAreRejectedWithTheirReason() throws {
        let path = tempFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = ControlFile.Reader(path: path)
        try append("""
            {"v":1,"id":"a1","command":"jump"}
            {"v":1,"id":"a2","command":"set","key":"beta"}
            {"v":1,"id":"a3","command":"scale","key":"beta","value":-2}
            {"v":2,"id":"a4","command":"pause"}
            not json
            {"v":1,"id":"a5","command":"set","key":"beta","value":6}
            {"v":1,"id":"a6","comm
            """, to: path)
        let read = reader.poll()
        #expect(read.count == 6)
        func reason(_ i: Int) -> String { if case .rejected(_, _, let r) = read[i] { r } else { "" } }
        #expect(reason(0).contains("unknown command 'jump'") && reason(1).contains("needs a finite value"))
        #expect(reason(2).contains("> 0") && reason(3).contains("version 2") && reason(4).contains("not a command"))
        #expect(read[5] == .command(.set(.beta, 6), source: "file:unknown", id: "a5"))
        if case .rejected(let line, let id, _) = read[0] { #expect(line == 1 && id == "a1") }
        // The torn last line waits for its end; completed, it is read.
        try append("and\":\"pause\"}\n", to: path)
        #expect(reader.poll() == [.command(.pause, source: "file:unknown", id: "a6")])
    }

    @Test func aLineThatStaysTornIsSkipped() throws {
        let path = tempFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = ControlFile.Reader(path: path)
        try append("{\"v\":1,\"id\":\"b1\",\"comm", to: path)
        #expect(reader.poll().isEmpty)
        Thread.sleep(forTimeInterval: ControlFile.Reader.tornLineTimeout + 0.2)
        guard case .rejected(_, _, let reason)? = reader.poll().first else { Issue.record("torn line not reported"); return }
        #expect(reason.contains("torn line"))
        try ControlFile.append(.resume, source: "watch", to: path)
        if case .command(.resume, _, _)? = reader.poll().first {} else { Issue.record("the next command was lost") }
    }

    /// RunControl polls the file at step boundaries, acknowledges each line by id in a control event,
    /// logs bad lines as `rejected`, and answers keys the trainer does not have.
    @Test func runControlObeysAndAcknowledges() throws {
        let path = tempFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let control = RunControl(state: .running)
        control.listen(toCommandFile: path)
        let pause = try ControlFile.append(.pause, source: "watch", to: path)
        let beta = try ControlFile.append(.scale(.beta, 2), source: "watch", to: path)
        let lr = try ControlFile.append(.scale(.lrD, 2), source: "watch", to: path)
        try append("{\"v\":1,\"id\":\"zz\",\"command\":\"fly\"}\n", to: path)
        var events: [ControlEvent] = []
        var weight: Float = 5
        _ = control.apply(step: 7, time: { 1 }, sink: { if case .control(let c) = $0 { events.append(c) } },
                          tune: { key, v, scale in
                              guard key == .beta else { return nil }
                              let old = weight; weight = scale ? weight * v : v; return (old, weight)
                          }, checkpoint: {})
        #expect(control.state == .paused && weight == 10)
        #expect(events.map(\.action) == ["rejected", "pause", "set", "rejected"])
        #expect(events[0].id == "zz" && events[0].detail?.contains("line 4: unknown command 'fly'") == true)
        #expect(events[1].id == pause && events[1].source == "file:watch" && events[1].step == 7)
        #expect(events[2].id == beta && events[2].old == 5 && events[2].new == 10)
        #expect(events[3].id == lr && events[3].detail?.contains("lr_d is not a live value") == true)
    }

    /// While paused the trainer waits in `waitForCommand`; a command-file line must wake it.
    @Test func aPausedRunWakesForTheFile() throws {
        let path = tempFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let control = RunControl(state: .paused)
        control.listen(toCommandFile: path)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { _ = try? ControlFile.append(.resume, source: "t", to: path) }
        control.waitForCommand()
        #expect(control.next()?.0 == .resume)
    }
}
