import Foundation
@testable import DAFLEngine

/// A PyTorch reference case from `Fixtures/` (made by scripts/make_fixtures.py).
struct Fixture {
    let file: Safetensors.File

    init(_ name: String) throws {
        guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
            throw WeightsError(file: "Fixtures/\(name).safetensors", problem: "missing: run scripts/make_fixtures.py")
        }
        file = try Safetensors.read(url)
    }

    func values(_ key: String) -> [Float] {
        guard let t = file.tensors[key] else { fatalError("fixture has no tensor '\(key)'") }
        return t.values
    }

    func shape(_ key: String) -> [Int] { file.tensors[key]!.shape }

    func tensor(_ key: String, grad: Bool = false) -> Tensor {
        Tensor(shape: shape(key), data: values(key), requiresGrad: grad)
    }

    func meta(_ key: String) -> String { file.metadata[key] ?? "" }
    func float(_ key: String) -> Float { Float(meta(key))! }
}
