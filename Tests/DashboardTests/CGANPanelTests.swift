import Foundation
import RunEvents
import Testing
@testable import Dashboard

/// The dashboard for cGAN-KD runs: its charts, per-class panels, conditional previews and key hints
/// come from the same events, whether live or replayed.
@Suite struct CGANPanelTests {
    static let names = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]

    static func trainModel() -> DashboardModel {
        var m = DashboardModel()
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "gan", preset: "cgan-train", settings: ["iterations": "100"],
                                    classNames: names, resumed: false, teacherAccuracy: nil)))
        for i in 1...40 {
            m.apply(.metrics(MetricsEvent(step: i, time: Double(i) / 3, stage: "gan", values: [
                "d_loss": 2 - Double(i) / 40, "g_loss": 0.5, "real_score": 1, "fake_score": -1, "lr_g": 2e-4, "lr_d": 2e-4, "steps_per_second": 3])))
            if i % 20 == 0 {
                m.apply(.metrics(MetricsEvent(step: i, time: Double(i) / 3, stage: "gan", values: ["fd": 300 - Double(i), "agreement": Double(i)],
                                              perClass: ["fd": (0..<10).map { 100 + Double($0) * 10 }])))
            }
        }
        let px = Data((0..<1024).map { UInt8($0 % 256) }).base64EncodedString()
        m.apply(.samples(SamplesEvent(step: 40, time: 13, width: 32, height: 32, images: [
            .init(pixels: px, label: 0, confidence: 0.97, conditioning: 0), .init(pixels: px, label: 6, confidence: 0.6, conditioning: 4),
        ])))
        return m
    }

    @Test func trainingRunShowsGANCurvesDistancesAndAgreement() {
        let m = Self.trainModel()
        #expect(m.kind == .cganTrain && m.step == 40 && m.stepsPerSecond == 3 && m.tunables["lr_g"] == 2e-4)
        #expect(m.series["d_loss"]?.values.count == 40 && m.series["fd"]?.steps == [20, 40])
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark, hints: DashboardView.liveHints(for: m.kind)).plainText()
        for part in ["D loss", "G loss", "D(real)", "D(fake)", "Fréchet distance", "per class", "Boot", "190.0",
                     "teacher agrees with the conditioning class", "lr G 0.0002", "g/G lr G", "T-shirt 97%", "Coa→Shi"] {
            #expect(text.contains(part), "missing \(part)")
        }
        #expect(!text.contains("α "))
    }

    @Test func distillRunShowsTheFakeSetAndTheStudentAgainstTheTeacher() {
        var m = DashboardModel()
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "s", preset: "cgan-distill", settings: ["iterations": "20"],
                                    classNames: Self.names, resumed: false, teacherAccuracy: 87.45)))
        for e in 1...5 { m.apply(.metrics(MetricsEvent(step: e, time: Double(e), stage: "density-ratio", values: ["dr_loss": -Double(e)]))) }
        m.apply(.fakeSet(FakeSetEvent(step: 0, time: 6, generated: [200] + [Int](repeating: 100, count: 9), accepted: [150] + [Int](repeating: 90, count: 9),
                                      kept: [Int](repeating: 80, count: 10), disagreements: [Int](repeating: 3, count: 10),
                                      thresholds: [Double?](repeating: 0.5, count: 10), maxRatios: [Double](repeating: 2, count: 10), relabelled: true)))
        for e in 1...3 {
            m.apply(.metrics(MetricsEvent(step: e, time: 6 + Double(e), stage: "student", values: ["student_loss": 1 / Double(e)])))
            m.apply(.eval(EvalEvent(step: e, time: 6 + Double(e), studentAccuracy: 80 + Double(e), teacherAccuracy: 87.45, agreement: 85, bestStudentAccuracy: 83)))
        }
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        for part in ["density-ratio loss", "student training loss", "fake set per class", "accept", " 75.0%", " 88.9%",
                     "800 kept; 30 relabelled", "teacher 87.45%", "best 83.00%", "stage student"] {
            #expect(text.contains(part), "missing \(part)")
        }
        // The summary of a headless replay names the fake set.
        #expect(HeadlessReplay.summary(m).contains("fake set: 800 kept of 1100 generated"))
    }

    @Test func learningRateChangesAreMarkedAndDescribed() {
        var m = Self.trainModel()
        m.apply(.control(ControlEvent(step: 40, time: 14, action: "set", key: "lr_g", old: 2e-4, new: 1e-4, source: "keyboard")))
        #expect(m.tunables["lr_g"] == 1e-4 && m.markers.last?.label == "lrG")
        #expect(m.status.contains("generator learning rate"))
    }

    @Test func smallTerminalsStillDrawEveryPanel() {
        let m = Self.trainModel()
        for (w, h) in [(80, 24), (100, 30), (200, 60)] {
            let text = DashboardView.render(m, view: ViewState(), width: w, height: h, theme: .dark).plainText()
            #expect(text.contains("D loss") && text.contains("per class") && text.contains("teacher agrees"), "\(w)×\(h)")
        }
    }
}

@Suite struct PreviewContrastTests {
    @Test func stretchedBytesShowAsStoredAndRawMapsBackThroughTheRange() {
        let px: [UInt8] = [0, 128, 255]
        #expect(SamplePreview.display(px, range: [-0.5, 1.5], raw: false) == px)
        // Raw: byte 0 → grey -0.5 (clipped black), 128 → ≈0.504, 255 → 1.5 (clipped white).
        #expect(SamplePreview.display(px, range: [-0.5, 1.5], raw: true) == [0, 129, 255])
        // Version-1 events carry raw bytes: stretched per image unless raw.
        #expect(SamplePreview.display([50, 100], range: nil, raw: false) == [0, 255])
        #expect(SamplePreview.display([50, 100], range: nil, raw: true) == [50, 100])
        let s = SamplesEvent(step: 1, time: 0, width: 1, height: 1, images: [], greyRange: [-0.25, 1.25])
        #expect(SamplePreview.contrast(s, raw: false) == "grey -0.25–1.25 stretched" && SamplePreview.contrast(s, raw: true) == "raw grey 0–1")
    }
}
