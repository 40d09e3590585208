/// A problem with a weights, checkpoint or data file, naming the file and what is wrong.
public struct WeightsError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public init(file: String, problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(file): \(problem)" }
}
