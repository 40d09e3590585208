import Foundation
import RunEvents
import Testing
@testable import Dashboard

/// The dashboard for cGAN-KD's regression runs: CcGAN's curves and label sweep, the fake set's labels
/// asked for against the teacher's readings, and the student's MAE against the teacher's.
@Suite struct RegressionPanelTests {
    static let px = Data((0..<1024).map { UInt8($0 % 256) }).base64EncodedString()

    @Test func ccganRunShowsItsCurvesAndTheLabelSweep() {
        var m = DashboardModel()
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "cc", preset: "ccgan-train", settings: ["iterations": "100", "task": "rotation"],
                                    classNames: [], resumed: false, teacherAccuracy: nil)))
        for i in 1...40 {
            m.apply(.metrics(MetricsEvent(step: i, time: Double(i), stage: "gan", values: [
                "d_loss": 0.4, "g_loss": 0.5, "real_score": 1, "fake_score": -1, "lr_g": 2e-4, "lr_d": 2e-4, "steps_per_second": 7])))
            if i % 20 == 0 { m.apply(.metrics(MetricsEvent(step: i, time: Double(i), stage: "gan", values: ["label_mae": 30 - Double(i) / 2]))) }
        }
        m.apply(.samples(SamplesEvent(step: 40, time: 40, width: 32, height: 32, images: [-45.0, 0, 45].map {
            .init(pixels: Self.px, label: 0, confidence: 1, target: $0, value: $0 + 4, unit: "°")
        })))
        #expect(m.kind == .ccganTrain)
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark, hints: DashboardView.liveHints(for: m.kind)).plainText()
        for part in ["D loss (vicinal hinge)", "G loss", "D(real)", "D(fake)", "label asked → teacher reads", "-45.0° →  -41.0°",
                     "MAE 10.0°, bars |error|", "teacher's reading vs label asked, MAE", "-45°→-41°", "lr G 0.0002", "g/G lr G"] {
            #expect(text.contains(part), "missing \(part)")
        }
        #expect(!text.contains("Fréchet") && !text.contains("T-shirt"))
        #expect(HeadlessReplay.summary(m).contains("vs the label asked for: MAE 10.000"))
    }

    @Test func regressionStudentShowsLabelBinsAndMAEAgainstTheTeacher() {
        var m = DashboardModel()
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "s", preset: "ccgan-distill", settings: ["iterations": "3", "unit": "°"],
                                    classNames: [], resumed: false, teacherAccuracy: nil)))
        m.apply(.fakeSet(FakeSetEvent(step: 0, time: 6, generated: [100, 100], accepted: [80, 50], kept: [40, 40], disagreements: [1, 2],
                                      thresholds: [0.1, 0.2], maxRatios: [2, 3], relabelled: true, predicted: [30, 50], labelRange: [-45, 45])))
        m.apply(.samples(SamplesEvent(step: 0, time: 6, width: 32, height: 32, images: [.init(pixels: Self.px, label: 0, confidence: 1,
                                                                                                target: -30, value: -28, unit: "°")])))
        for e in 1...3 {
            m.apply(.metrics(MetricsEvent(step: e, time: 6 + Double(e), stage: "student", values: [
                "student_loss": 1 / Double(e), "test_mae": 5 - Double(e), "teacher_mae": 2.46])))
        }
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        for part in ["fake set by label", "-45.0°", "0.0°", " 50.0%", " 80.0%", "80 kept, 65% accepted, relabelled",
                     "student test MAE  best 2.00°", "teacher 2.46°", "-30°→-28°", "label asked for → teacher reads", "stage student"] {
            #expect(text.contains(part), "missing \(part)")
        }
        #expect(HeadlessReplay.summary(m).contains("student test MAE: final 2.000  best 2.000  teacher 2.460"))
        // Narrow terminals still draw it.
        let small = DashboardView.render(m, view: ViewState(), width: 80, height: 24, theme: .dark).plainText()
        #expect(small.contains("student test MAE"))
    }
}
