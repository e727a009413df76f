import CLibPQ
import DatasetKit
import Foundation

/// Connection parameters parsed by libpq from a connection string or URI. The password,
/// if any, is kept apart so it only ever reaches libpq and child processes' environment.
public struct ConnectionSettings: Sendable {
    /// keyword → value, for every parameter the string set (password excluded).
    public private(set) var parameters: [String: String]
    let password: String?

    /// Parses `conninfo` (nil or empty: libpq's defaults, PGHOST and friends, apply).
    public init(conninfo: String?) throws {
        var parameters: [String: String] = [:]
        var password: String?
        if let conninfo, !conninfo.isEmpty {
            var errorMessage: UnsafeMutablePointer<CChar>?
            guard let options = PQconninfoParse(conninfo, &errorMessage) else {
                let reason = errorMessage.map { String(cString: $0) } ?? "it could not be parsed"
                errorMessage.map { PQfreemem($0) }
                throw DPMError("The database connection string is not valid: \(Self.oneLine(reason)).")
            }
            defer { PQconninfoFree(options) }
            var option = options
            while let keyword = option.pointee.keyword {
                if let value = option.pointee.val {
                    let key = String(cString: keyword)
                    if key == "password" { password = String(cString: value) } else { parameters[key] = String(cString: value) }
                }
                option += 1
            }
        }
        self.parameters = parameters
        self.password = password
    }

    /// The database the settings name, after libpq's own defaults (PGDATABASE, then the user name).
    public var database: String {
        if let name = parameters["dbname"], !name.isEmpty { return name }
        if let name = ProcessInfo.processInfo.environment["PGDATABASE"], !name.isEmpty { return name }
        return user
    }

    public var user: String {
        if let name = parameters["user"], !name.isEmpty { return name }
        if let name = ProcessInfo.processInfo.environment["PGUSER"], !name.isEmpty { return name }
        return NSUserName()
    }

    /// The host (or socket folder) as libpq would pick it.
    public var host: String {
        parameters["host"] ?? parameters["hostaddr"] ?? ProcessInfo.processInfo.environment["PGHOST"] ?? "localhost"
    }

    public var port: String { parameters["port"] ?? ProcessInfo.processInfo.environment["PGPORT"] ?? "5432" }

    /// "host:port" as libpq would pick it, for messages.
    public var location: String {
        host.hasPrefix("/") ? "socket \(host) port \(port)" : "\(host):\(port)"
    }

    /// A `postgresql://` URI for applications: user, host, port and database as libpq would
    /// pick them, never the password. A socket folder goes into the `host` query parameter.
    public var uri: String {
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/@:?#"))) ?? text }
        let path = "/" + encode(database)
        if host.hasPrefix("/") {
            return "postgresql://\(encode(user))@\(path)?host=\(encode(host))&port=\(port)"
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(encode(user))@\(hostPart):\(port)\(path)"
    }

    /// The same settings for another database on the server.
    public func with(database: String) -> ConnectionSettings {
        var copy = self
        copy.parameters["dbname"] = database
        return copy
    }

    /// A keyword=value connection string without the password, safe for argv.
    public var conninfo: String {
        parameters.keys.sorted().map { "\($0)=\(Self.quote(parameters[$0]!))" }.joined(separator: " ")
    }

    /// The environment for a client tool: the caller's, plus the password when the string carried one.
    public var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let password { environment["PGPASSWORD"] = password }
        return environment
    }

    /// Keyword/value arrays for PQconnectdbParams, password included.
    func keywordValues() -> [(String, String)] {
        var pairs = parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let password { pairs.append(("password", password)) }
        return pairs
    }

    static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
            .trimmingCharacters(in: CharacterSet(charactersIn: ". "))
    }
}
