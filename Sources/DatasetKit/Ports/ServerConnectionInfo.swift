/// Who the server is, for messages and for commands and URIs dpm hands to the user.
public protocol ServerConnectionInfo: Sendable {
    /// Host, port and user for messages; never a password.
    var displayName: String { get }
    func serverVersion() throws -> ServerVersion
    /// A `postgresql://` URI for `database` that an application can use (no password).
    func connectionURI(for database: String) -> String
    /// `-h host -p port -U user` for the client tools, so that a command dpm prints works as printed.
    var commandLineOptions: [String] { get }
    /// True when the server is reached through a unix socket or a loopback address: a copy of
    /// production is not expected there (see the unsanitized-upload warning).
    var isOnThisMachine: Bool { get }
}

public struct ServerVersion: Sendable, Equatable {
    /// e.g. 150020
    public let number: Int
    /// e.g. "15.20 (Debian 15.20-0+deb12u1)"
    public let text: String

    public init(number: Int, text: String) {
        self.number = number
        self.text = text
    }

    public var major: Int { number / 10000 }
}
