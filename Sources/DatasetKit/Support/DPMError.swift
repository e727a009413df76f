/// An error a user can cause or fix: its message is one plain sentence that says
/// what went wrong and, where possible, what to do. It never carries secrets.
public struct DPMError: Error, CustomStringConvertible, Equatable {
    public let message: String
    /// Lines to show before the sentence, when the sentence alone cannot say what differs
    /// (a schema diff).
    public let details: String?

    public init(_ message: String, details: String? = nil) {
        self.message = message
        self.details = details
    }

    public var description: String { message }
}

extension Error {
    /// The sentence to show a user for any error: ours verbatim, the store's by description,
    /// and the system's as a plain sentence (never Foundation's error dump).
    public var userMessage: String {
        if let error = self as? DPMError { return error.message }
        if let error = self as? DatabaseInUse { return error.message }
        if let error = self as? StoreError { return error.description }
        return SystemErrorText.sentence(for: self)
    }
}

/// Ends `text` with a full stop unless it already ends with punctuation.
public func sentence(_ text: String) -> String {
    guard let last = text.last, !".?!".contains(last) else { return text }
    return text + "."
}

/// Another session holds a database that dpm must rename or drop (SQLSTATE 55006).
public struct DatabaseInUse: Error, CustomStringConvertible {
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}
