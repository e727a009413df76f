import CLibPQ
import DatasetKit
import Foundation

/// Connection parameters parsed by libpq from a connection string or URI. The secrets
/// (password, sslpassword: the keywords libpq marks for hiding) are kept apart, so they only
/// ever reach libpq and child processes' environment or a 0600 file, never argv or a message.
public struct ConnectionSettings: Sendable {
    /// keyword → value, for every parameter the string set (secrets excluded).
    public private(set) var parameters: [String: String]
    /// keyword → value of the secrets the string set.
    let secrets: [String: String]
    var password: String? { secrets["password"] }

    /// libpq's variables as set for this process: what libpq falls back to.
    let libpq: LibpqVariables

    /// Parses `conninfo` (nil or empty: libpq's defaults, PGHOST and friends in `libpq`, apply).
    public init(conninfo: String?, libpq: LibpqVariables = LibpqVariables()) throws {
        (parameters, secrets) = try conninfo.map(Self.parse) ?? ([:], [:])
        self.libpq = libpq
        if let keyword = toolSecrets.keys.sorted().first {
            if parameters["service"] != nil || !(libpq.service ?? "").isEmpty {
                throw DPMError.invalidInput("The database connection string sets \(keyword) together with a service (service= or PGSERVICE); put \(keyword) in the service's entry of the service file instead.")
            }
            if toolSecrets.values.contains(where: { $0.contains(where: \.isNewline) || $0.last?.isWhitespace == true }) {
                throw DPMError.invalidInput("The \(keyword) in the database connection string ends in a space or holds a line break, which dpm cannot pass to pg_dump safely; put it in a service file named by PGSERVICEFILE instead.")
            }
        }
    }

    /// The parameters and the secrets `conninfo` sets, as libpq reads it; an unparsable string
    /// is one sentence without its secrets (libpq quotes the string, or the token it choked on).
    static func parse(_ conninfo: String) throws -> (parameters: [String: String], secrets: [String: String]) {
        var parameters: [String: String] = [:]
        var secrets: [String: String] = [:]
        guard !conninfo.isEmpty else { return (parameters, secrets) }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "it could not be parsed"
            errorMessage.map { PQfreemem($0) }
            throw DPMError.invalidInput("The database connection string is not valid: \(Redaction.scrub(Self.oneLine(reason), secretsOf: conninfo)).")
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let key = String(cString: keyword)
                if Self.isSecret(option.pointee) { secrets[key] = String(cString: value) } else { parameters[key] = String(cString: value) }
            }
            option += 1
        }
        return (parameters, secrets)
    }

    /// libpq marks the values to hide (password, sslpassword, and later ones) with "*".
    private static func isSecret(_ option: PQconninfoOption) -> Bool {
        guard let display = option.dispchar else { return false }
        return display.pointee == CChar(UInt8(ascii: "*")) || Redaction.secretKeywords.contains(String(cString: option.keyword))
    }

    /// `message` without any of this string's secrets (libpq's errors, a tool's output).
    func scrub(_ message: String) -> String {
        // Very short secrets would mask ordinary letters; libpq never echoes those values anyway.
        Redaction.mask(secrets.values.filter { $0.count >= 4 }, in: message)
    }

    /// The database the settings name, after libpq's own defaults (PGDATABASE, then the user name).
    public var database: String {
        if let name = parameters["dbname"], !name.isEmpty { return name }
        if let name = libpq.database, !name.isEmpty { return name }
        return user
    }

    public var user: String {
        if let name = parameters["user"], !name.isEmpty { return name }
        if let name = libpq.user, !name.isEmpty { return name }
        return NSUserName()
    }

    /// The host (or socket folder) as libpq would pick it.
    public var host: String {
        parameters["host"] ?? parameters["hostaddr"] ?? libpq.host ?? "localhost"
    }

    public var port: String { parameters["port"] ?? libpq.port ?? "5432" }

    /// A unix socket or a loopback address, for every host libpq may try.
    public var isOnThisMachine: Bool {
        host.split(separator: ",").allSatisfy { part in
            let host = part.trimmingCharacters(in: .whitespaces)
            return host.isEmpty || host.hasPrefix("/") || host.hasPrefix("@") || host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }

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

    /// A keyword=value connection string without the secrets, safe for argv.
    public var conninfo: String {
        parameters.keys.sorted().map { "\($0)=\(Self.quote(parameters[$0]!))" }.joined(separator: " ")
    }

    /// The environment for a client tool: the caller's, plus the password when the string carried one.
    /// The other secrets travel in a service file (`ClientSecrets`).
    public var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let password { environment["PGPASSWORD"] = password }
        return environment
    }

    /// The secrets a client tool needs besides the password: libpq reads no environment
    /// variable for them, so they go through a 0600 service file.
    var toolSecrets: [String: String] { secrets.filter { $0.key != "password" && !$0.value.isEmpty } }

    /// Keyword/value arrays for PQconnectdbParams, secrets included.
    func keywordValues() -> [(String, String)] {
        parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + secrets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
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

/// libpq's reading of connection strings, for the domain's check of dpm.yaml.
public struct LibpqConnectionStrings: ConnectionStringReader {
    public init() {}

    public func secretKeywords(in conninfo: String) -> [String]? {
        guard let parsed = try? ConnectionSettings.parse(conninfo) else { return nil }
        return parsed.secrets.filter { !$0.value.isEmpty }.keys.sorted()
    }
}
