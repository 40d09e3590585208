import Testing
@testable import DAFLTrainer

/// The per-class agreement an evaluation reports: of the test images the teacher puts in a class, the share the
/// student puts there too.
@Suite struct ClassAgreementTests {
    @Test func countsPerTeacherClass() {
        let teacher = [0, 0, 0, 0, 1, 1, 2], student = [0, 0, 1, 2, 1, 0, 2]
        #expect(DAFLTrainer.classAgreement(student: student, teacher: teacher, classes: 4) == [50, 50, 100, 100])
    }
}
