import DAFLEngine
import Foundation
import Testing
@testable import CGANKD

@Suite struct FrechetDistanceTests {
    typealias S = FrechetDistance.Statistics

    @Test func identicalStatisticsAreAtDistanceZero() {
        var rng = RNG(seed: 1)
        let f = rng.normal(count: 400 * 5)
        let a = S(features: f, dimension: 5)
        #expect(FrechetDistance.distance(a, a) < 1e-9)
    }

    @Test func commutingCovariancesHaveTheClosedForm() {
        // Σ₁ = R D₁ Rᵀ, Σ₂ = R D₂ Rᵀ share eigenvectors: FD = ‖Δμ‖² + Σ (√d₁ − √d₂)².
        let c = cos(0.7), s = sin(0.7)
        let r = [c, -s, 0, s, c, 0, 0, 0, 1]
        func rotated(_ diag: [Double]) -> [Double] {
            var m = [Double](repeating: 0, count: 9)
            for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { m[i * 3 + j] += r[i * 3 + k] * diag[k] * r[j * 3 + k] } } }
            return m
        }
        let d1 = [4.0, 1.0, 0.25], d2 = [1.0, 9.0, 0.25]
        let a = S(mean: [1, 2, 3], covariance: rotated(d1)), b = S(mean: [1, 0, 3], covariance: rotated(d2))
        let expected = 4 + zip(d1, d2).reduce(0) { $0 + pow($1.0.squareRoot() - $1.1.squareRoot(), 2) }
        #expect(abs(FrechetDistance.distance(a, b) - expected) < 1e-9)
    }

    @Test func nonCommutingCaseMatchesAnIndependentComputation() {
        // Reference: torch float64, Σ λᵢ^½ over the eigenvalues of the non-symmetric Σ₁Σ₂:
        //   A=[[2,.5,.1],[.5,1,.3],[.1,.3,.5]] B=[[1,-.2,0],[-.2,2,.4],[0,.4,.8]] μ₁=[0,1,-1] μ₂=[.5,.5,0]
        //   ((m1-m2)**2).sum() + tr(A) + tr(B) - 2*linalg.eigvals(A@B).real.sqrt().sum() = 2.0622801383899922
        let a = S(mean: [0, 1, -1], covariance: [2, 0.5, 0.1, 0.5, 1, 0.3, 0.1, 0.3, 0.5])
        let b = S(mean: [0.5, 0.5, 0], covariance: [1, -0.2, 0, -0.2, 2, 0.4, 0, 0.4, 0.8])
        #expect(abs(FrechetDistance.distance(a, b) - 2.0622801383899922) < 1e-9)
    }

    @Test func sampleStatisticsUseTheUnbiasedCovariance() {
        let a = S(features: [1, 0, 3, 2, 5, 4], dimension: 2)     // rows (1,0) (3,2) (5,4)
        #expect(a.mean == [3, 2])
        #expect(a.covariance == [4, 4, 4, 4])
    }
}
