import Foundation

// Scalar math used by the kernels, named so call sites read the same on every platform.
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Foundation.sin(x) }
@inline(__always) func fexp(_ x: Float) -> Float { Foundation.expf(x) }
@inline(__always) func flog(_ x: Float) -> Float { Foundation.logf(x) }
@inline(__always) func ftanh(_ x: Float) -> Float { Foundation.tanhf(x) }
