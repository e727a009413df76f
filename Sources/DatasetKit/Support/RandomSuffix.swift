/// A short random lowercase hex string for temporary names.
public func randomSuffix(_ length: Int = 8) -> String {
    let alphabet = Array("0123456789abcdef")
    return String((0..<length).map { _ in alphabet[Int.random(in: 0..<16)] })
}
