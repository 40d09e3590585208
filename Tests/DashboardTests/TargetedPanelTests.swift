import Foundation
import RunEvents
import Testing
@testable import Dashboard

/// A targeted DAFL run (`--targeted`): the class-balance panel says how often the teacher sees the
/// class each image was generated for, and previews show the class asked for.
@Suite struct TargetedPanelTests {
    /// A model after the config and 30 steps, each step event changed by `edit` (given the step number).
    static func model(_ edit: (inout StepEvent, Int) -> Void) -> DashboardModel {
        var m = DashboardModel()
        m.apply(Events.config())
        for i in 1...30 {
            guard case .step(var s) = Events.step(i) else { continue }
            edit(&s, i)
            m.apply(.step(s))
        }
        return m
    }

    @Test func onTargetShowsInTheBalancePanelAndPreviewsNameTheTarget() {
        var m = Self.model { s, i in
            s.onTarget = i <= 10 ? 10 : 40
        }
        let px = Data((0..<1024).map { UInt8($0 % 256) }).base64EncodedString()
        m.apply(.samples(SamplesEvent(step: 30, time: 15, width: 32, height: 32, images: [.init(pixels: px, label: 7, confidence: 0.9, conditioning: 3)])))
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("teacher sees the target: 40%"), "the last 20 steps' mean")
        #expect(text.contains("3→7"))
        // Plain DAFL runs have no such figure.
        #expect(!DashboardView.render(Events.model(), view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("sees the target"))
    }

    @Test func aWeightAveragedStudentIsNamedWithTheTrainedOnesAccuracy() {
        var m = Events.model()
        var e = EvalEvent(step: 60, time: 30, studentAccuracy: 75, teacherAccuracy: 90.5, agreement: 76, bestStudentAccuracy: 75)
        e.trainedStudentAccuracy = 71.5
        m.apply(.eval(e))
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("EMA student  best 75.00%  trained 71.50%"))
        // --student-swa: the plain mean, named as such.
        guard case .config(var c) = Events.config() else { Issue.record("no config"); return }
        c.settings["student_swa"] = "500"
        var swa = DashboardModel()
        swa.apply(.config(c)); swa.apply(.eval(e))
        #expect(DashboardView.render(swa, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
            .contains("SWA student  best 75.00%  trained 71.50%"))
    }

    /// `--adversarial X --discrepancy kl`: the discrepancy the generator climbs gets its own chart, titled
    /// with how it is measured and its weight; plain DAFL runs have no such chart.
    @Test func theDiscrepancyTheGeneratorClimbsHasAChart() {
        var m = DashboardModel()
        guard case .config(var c) = Events.config() else { Issue.record("no config"); return }
        c.settings["discrepancy"] = "kl"
        c.settings["adversarial"] = "1.0"
        m.apply(.config(c))
        for i in 1...30 {
            guard case .step(var s) = Events.step(i) else { continue }
            s.adv = 0.5 - Double(i) / 100
            s.advWeight = 1
            m.apply(.step(s))
        }
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("discrepancy KL×1 (G ↑)"))
        // `--adversarial-sure 0.8`: the chart says which images the term counts.
        var sure = DashboardModel()
        c.settings["adversarial_sure"] = "0.8"
        sure.apply(.config(c))
        for i in 1...30 {
            guard case .step(var s) = Events.step(i) else { continue }
            s.adv = 0.5; s.advWeight = 1
            sure.apply(.step(s))
        }
        #expect(DashboardView.render(sure, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("KL×1 on sure≥0.8 (G ↑)"))
        #expect(!DashboardView.render(Events.model(), view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("discrepancy"))
    }

    /// `--tv W`: the image prior gets a chart; the replay memory's fill shows under the class balance.
    @Test func theImagePriorHasAChartAndTheMemoryItsFill() {
        var m = Self.model { s, i in
            s.tv = 0.3; s.tvWeight = 0.5
            s.memory = i * 128; s.memoryCapacity = 128_000
        }
        var text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("image prior TV×0.5"))
        #expect(text.contains("replay memory 3.8k/128k"))
        guard case .step(var s) = Events.step(31) else { return }
        s.memory = 128_000; s.memoryCapacity = 128_000
        m.apply(.step(s))
        text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("replay memory 128k/128k, full"))
        #expect(!text.contains("views kept"))
        // Stable views: the share of moved replay images that kept their view.
        s.viewsKept = 42
        m.apply(.step(s))
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("stable views kept: 42%"))
        s.viewsKept = nil
        let plain = DashboardView.render(Events.model(), view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(!plain.contains("image prior") && !plain.contains("replay memory") && !plain.contains("generator 1"))
        // Generators taking turns: the class balance says whose batch it shows.
        s.generator = 2; s.generators = 3
        m.apply(.step(s))
        text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("batch from generator 2 of 3"))
        // Boundary samples: how often the walks reach their class.
        s.boundaryHits = 58
        m.apply(.step(s))
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("boundary walks reach target: 58%"))
        // Walks to the teacher's runner-up class say so.
        guard case .config(var c) = Events.config() else { Issue.record("no config"); return }
        c.settings["boundary_toward"] = "runner-up"
        m.apply(.config(c))
        m.apply(.step(s))
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("walks to runner-up reach it: 58%"))
        // Walks that stop at their class say so.
        c.settings["boundary_toward"] = "uniform"; c.settings["boundary_stop"] = "true"
        m.apply(.config(c))
        m.apply(.step(s))
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("walks reach target, stop: 58%"))
        // Logit-standardised distillation: the student's loss chart names it.
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("4 distillation L_kd"))
        c.settings["kd_standardize"] = "true"
        m.apply(.config(c))
        let zText = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(zText.contains("4 z-scored KD L_kd") && !zText.contains("distillation L_kd"))
        // With the intra-class relation, its weight.
        c.settings["kd_intra_class"] = "0.5"
        m.apply(.config(c))
        let iText = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(iText.contains("z-scored KD+intra×0.5"), "\(iText)")
        // Decoupled distillation: DKD and its β in place of KD.
        c.settings["kd_intra_class"] = "0.0"
        c.settings["kd_decoupled"] = "8.0"
        m.apply(.config(c))
        let dText = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(dText.contains("z-scored DKD β8 L_kd") && !dText.contains("KD L_kd"), "\(dText)")
        // The saturation prior gets its chart when steps report it.
        var sat = DashboardModel()
        sat.apply(Events.config())
        for i in 1...3 {
            guard case .step(var st) = Events.step(i) else { continue }
            st.sat = 0.9; st.satWeight = 2
            sat.apply(.step(st))
        }
        #expect(DashboardView.render(sat, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("saturation×2"))
        // A colder information-entropy term names its temperature.
        c.settings["ie_temperature"] = "0.5"
        m.apply(.config(c))
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("info entropy τ0.5 L_ie"))
        // `--ie-memory`: the chart says how much of the mix the term balances is the memory's.
        c.settings["ie_temperature"] = "1.0"; c.settings["ie_memory"] = "0.25"
        m.apply(.config(c))
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("entropy +mem 75% L_ie"))
        c.settings["ie_memory"] = "1.0"
        m.apply(.config(c))
        #expect(!DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("+mem"))
        // `--balanced-one-hot`: the one-hot chart says its targets are the balanced assignment.
        #expect(!DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("balanced L_oh"))
        c.settings["balanced_one_hot"] = "true"
        m.apply(.config(c))
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("balanced L_oh"))
    }

    /// `--lr-g-final`: the header shows the generator's learning rate as the last step reported it; constant runs do not.
    @Test func aScheduledGeneratorRateShowsInTheHeader() {
        var m = DashboardModel()
        guard case .config(var c) = Events.config() else { Issue.record("no config"); return }
        c.settings["lr_g_final"] = "0.02"
        m.apply(.config(c))
        for i in 1...3 {
            guard case .step(var s) = Events.step(i) else { continue }
            s.lrG = 0.2 - 0.05 * Double(i)
            m.apply(.step(s))
        }
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("lrG 0.05"), "\(text)")
        #expect(!DashboardView.render(Events.model(), view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("lrG"))
    }

    /// `--replay-keep-rare`: the memory line says how many rare-class images each eviction kept (the last 20 steps' mean).
    @Test func keptRareImagesShowOnTheMemoryLine() {
        let m = Self.model { s, i in
            s.memory = 32768; s.memoryCapacity = 32768
            s.memoryKept = i <= 10 ? 0 : 37
        }
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("memory 32.8k/32.8k, keeps 37 rare"), "\(text)")
        let plain = Self.model { s, _ in s.memory = 32768; s.memoryCapacity = 32768 }
        #expect(!DashboardView.render(plain, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("keeps"))
    }

    /// With a replay memory, the class balance's faint bars are the memory's mix (what the student learns from), not
    /// the last batches': a class the recent batches lack but the memory holds shows a bar, and the legend says so.
    @Test func theFaintBarsShowTheReplayMemorysMix() {
        let memory = [0, 0, 40, 0, 0, 0, 0, 0, 0, 0]   // the recent batches (hist [3, 1, 0, …]) have none of class 2
        let m = Self.model { s, _ in s.memory = 40; s.memoryCapacity = 32768; s.memoryClasses = memory }
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(m.memoryHist == memory && text.contains("█ batch ░ memory ┆ uniform"), "\(text)")
        // The class balance's row of class 2 (the test config names no classes: rows are numbered).
        func row(_ text: String) -> Substring? { text.split(separator: "\n").first { $0.contains("│2  ") } }
        #expect(row(text).map { $0.filter { $0 == "░" }.count > 10 } == true, "\(text)")
        let plain = Self.model { s, _ in s.memory = 40; s.memoryCapacity = 32768 }
        let plainText = DashboardView.render(plain, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(plainText.contains("░ last 50") && row(plainText).map { !$0.contains("░") } == true, "\(plainText)")
        // A count list that does not fit the classes is ignored.
        let odd = Self.model { s, _ in s.memoryClasses = [1, 2] }
        #expect(odd.memoryHist.isEmpty)
    }

    /// `--diversity W` beside the cpu preset's adversarial term: both get a chart at 120×40 (the mean cosine
    /// similarity of the batch's teacher features, which the generator lowers).
    @Test func theDiversityTermHasAChart() {
        let m = Self.model { s, i in
            s.adv = 0.2; s.advWeight = 3
            s.div = 0.6 - Double(i) / 100; s.divWeight = 1
        }
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("7 feature cos×1 ") && text.contains("discrepancy"))
        #expect(!DashboardView.render(Events.model(), view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("feature cos"))
    }

    /// `--tv` and `--border` beside the adversarial term: eight charts, each titled, at 120×40.
    @Test func bothImagePriorsHaveCharts() {
        let m = Self.model { s, i in
            s.adv = 0.2; s.advWeight = 3
            s.tv = 0.9 - Double(i) / 100; s.tvWeight = 1
            s.border = 1.6 - Double(i) / 50; s.borderWeight = 1
        }
        let text = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(text.contains("7 image prior TV×1 ") && text.contains("8 border prior×1 ") && text.contains("discrepancy"))
        // Eight charts fit 120×40 three to a row (two to a row would leave each under six rows).
        #expect(!text.contains("expands one"))
        // At 80×24 three columns are too narrow: sparkline rows, which name every key that expands one.
        let small = DashboardView.render(m, view: ViewState(), width: 80, height: 24, theme: .dark).plainText()
        #expect(small.contains("1-8 expands one"))
        #expect(!DashboardView.render(Events.model(), view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("border prior"))
        // The symmetry prior, a ninth chart: still three to a row.
        var m9 = m
        guard case .step(var s9) = Events.step(60) else { return }
        s9.adv = 0.2; s9.advWeight = 3; s9.tv = 0.5; s9.tvWeight = 1; s9.border = 0.3; s9.borderWeight = 1; s9.sym = 0.7; s9.symWeight = 2
        m9.apply(.step(s9))
        #expect(DashboardView.render(m9, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("9 symmetry"))
    }

    /// The last evaluation's per-class agreement sits beside the class bars (under 80 % in the warning colour), with
    /// a legend; the headless summary names the three classes the student agrees on least. Older logs show neither.
    @Test func theStudentsAgreementPerClassShowsBesideTheBars() {
        var m = Events.model()
        #expect(!DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("student agrees"))
        guard case .eval(var e) = Events.eval(60, 80) else { return }
        e.classAgreement = [88, 91, 67, 90, 37, 83, 71, 57, 92, 98]
        m.apply(.eval(e))
        let buf = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark), text = buf.plainText()
        #expect(text.contains("% student agrees (test, step 60)"))
        let coat = text.split(separator: "\n").first { $0.contains("Coat ") }.map(String.init) ?? ""
        #expect(coat.contains(" 37%"), "\(coat)")
        #expect(HeadlessReplay.summary(m).contains("student agrees least on (test): Coat 37.0%, Sneaker 57.0%, Pullover 67.0%"))
        // Too narrow for the column (80×24): the bars keep their width and no number is cut.
        let small = DashboardView.render(m, view: ViewState(), width: 80, height: 24, theme: .dark).plainText()
        #expect(!small.contains("37%") || small.contains(" 37%"))
    }

    /// `--select agreement`: the delivered student's measurement is not a point of the curve; the summary names it.
    @Test func aSelectedStudentIsNamedInTheSummaryNotPlotted() {
        var m = Events.model()
        guard case .eval(var e) = Events.eval(60, 80) else { return }
        m.apply(.eval(e))
        let plotted = m.evals.count
        #expect(!HeadlessReplay.summary(m).contains("delivered"))
        e.selectedStep = 30; e.studentAccuracy = 81.5
        m.apply(.eval(e))
        #expect(m.evals.count == plotted && m.selectedEval?.selectedStep == 30)
        #expect(HeadlessReplay.summary(m).contains("delivered (--select agreement, no test label used): the student of iteration 30, 81.50%"))
    }
}
