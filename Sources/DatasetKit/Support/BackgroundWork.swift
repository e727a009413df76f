import Foundation

/// Work started on its own thread at once, for the caller to collect later: `wait()` returns
/// its result or rethrows its error (and may be called again).
public final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, Error>?

    public init(_ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            result = Result { try body() }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    public func wait() throws -> Value {
        done.wait()
        defer { done.signal() }
        return try result!.get()
    }
}
