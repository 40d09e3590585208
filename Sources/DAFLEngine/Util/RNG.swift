/// A seeded xoshiro256** generator: one seed drives every random draw in a run.
///
/// Its state is four words, so it can be saved in a checkpoint and restored exactly.
/// ```swift
/// var rng = RNG(seed: 42)
/// let z = rng.normal(count: 100)
/// ```
public struct RNG: RandomNumberGenerator, Sendable, Codable, Equatable {
    public var state: [UInt64]

    public init(seed: UInt64) {
        // splitmix64 spreads a small seed over the 256-bit state.
        var x = seed
        var s = [UInt64](repeating: 0, count: 4)
        for i in 0..<4 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            s[i] = z ^ (z >> 31)
        }
        state = s
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    public mutating func next() -> UInt64 {
        let result = RNG.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]; state[3] ^= state[1]
        state[1] ^= state[2]; state[0] ^= state[3]
        state[2] ^= t
        state[3] = RNG.rotl(state[3], 45)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// `count` uniform values in [lo, hi).
    public mutating func uniform(count: Int, lo: Float, hi: Float) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count { out[i] = lo + (hi - lo) * uniform() }
        return out
    }

    /// `count` standard normal values (Box–Muller in double precision).
    public mutating func normal(count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            // u1 in (0, 1]: never log(0).
            let u1 = (Double(next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)
            let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
            let r = (-2 * _log(u1)).squareRoot()
            out[i] = Float(r * _cos(2 * Double.pi * u2))
            if i + 1 < count { out[i + 1] = Float(r * _sin(2 * Double.pi * u2)) }
            i += 2
        }
        return out
    }

    /// A uniformly shuffled permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }
}
