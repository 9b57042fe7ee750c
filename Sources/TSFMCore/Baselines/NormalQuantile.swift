#if canImport(Glibc)
import Glibc
#endif

/// The standard normal quantile function Φ⁻¹(p) for p in (0, 1).
///
/// Source: Peter J. Acklam, "An algorithm for computing the inverse normal cumulative
/// distribution function" (2003): a rational approximation with a central region
/// |p − 0.5| ≤ 0.47575 and two tails, relative error below 1.15e-9; followed by one step of
/// Halley's method on Φ(x) − p (using `erfc`), as Acklam recommends, which brings it to full
/// double precision. Returns −∞ / +∞ at 0 / 1 and NaN outside [0, 1].
public func normalQuantile(_ p: Double) -> Double {
    guard p > 0, p < 1 else {
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        return .nan
    }
    let a1 = -3.969683028665376e+01, a2 = 2.209460984245205e+02, a3 = -2.759285104469687e+02
    let a4 = 1.383577518672690e+02, a5 = -3.066479806614716e+01, a6 = 2.506628277459239e+00
    let b1 = -5.447609879822406e+01, b2 = 1.615858368580409e+02, b3 = -1.556989798598866e+02
    let b4 = 6.680131188771972e+01, b5 = -1.328068155288572e+01
    let c1 = -7.784894002430293e-03, c2 = -3.223964580411365e-01, c3 = -2.400758277161838e+00
    let c4 = -2.549732539343734e+00, c5 = 4.374664141464968e+00, c6 = 2.938163982698783e+00
    let d1 = 7.784695709041462e-03, d2 = 3.224671290700398e-01, d3 = 2.445134137142996e+00
    let d4 = 3.754408661907416e+00
    let pLow = 0.02425

    var x: Double
    if p < pLow {
        let q = (-2 * log(p)).squareRoot()
        x = (((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) / ((((d1 * q + d2) * q + d3) * q + d4) * q + 1)
    } else if p <= 1 - pLow {
        let q = p - 0.5
        let r = q * q
        x = (((((a1 * r + a2) * r + a3) * r + a4) * r + a5) * r + a6) * q
            / (((((b1 * r + b2) * r + b3) * r + b4) * r + b5) * r + 1)
    } else {
        let q = (-2 * log1p(-p)).squareRoot()
        x = -(((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) / ((((d1 * q + d2) * q + d3) * q + d4) * q + 1)
    }
    // One Halley step: e = Φ(x) − p, u = e / φ(x).
    let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
    let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
    x -= u / (1 + x * u / 2)
    return x
}
