import Crypto
import DatasetKit
import Foundation

/// AWS credentials; the secret and the token never appear in descriptions.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "AWSCredentials(\(accessKeyID), secret redacted)" }
}

/// A request as SigV4 sees it. Path and query are *decoded*: the signer encodes them once,
/// as S3 requires (no double encoding, no path normalization).
public struct SignableRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    /// Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
    public var payloadHash: String

    public init(method: String, path: String, query: [(name: String, value: String)] = [],
                headers: [(name: String, value: String)] = [], payloadHash: String) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }
}

/// AWS Signature Version 4 with S3's rules: single URI encoding, no path normalization,
/// sorted canonical query with valueless keys as `key=`.
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public struct Signature: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signature: String
        /// Headers to add to the request: x-amz-date, x-amz-content-sha256 (when asked for),
        /// x-amz-security-token (with temporary credentials) and Authorization.
        public let headers: [(name: String, value: String)]
    }

    /// Signs `request` at `date`. With `sendPayloadHash`, x-amz-content-sha256 is added and
    /// signed (S3 requires it on every request).
    public func sign(_ request: SignableRequest, at date: Date, sendPayloadHash: Bool = true) -> Signature {
        let amzDate = Self.format(date, "yyyyMMdd'T'HHmmss'Z'")
        let scope = "\(Self.format(date, "yyyyMMdd"))/\(region)/\(service)/aws4_request"
        var added: [(name: String, value: String)] = [("X-Amz-Date", amzDate)]
        if sendPayloadHash { added.append(("X-Amz-Content-SHA256", request.payloadHash)) }
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }

        let canonicalHeaders = Self.canonicalHeaders(request.headers + added)
        let signedHeaders = canonicalHeaders.map(\.name).joined(separator: ";")
        let canonicalRequest = [
            request.method,
            Self.encode(request.path, keepingSlashes: true),
            Self.canonicalQuery(request.query),
            canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders,
            request.payloadHash,
        ].joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, SHA256Hex.of(Data(canonicalRequest.utf8))]
            .joined(separator: "\n")
        let signature = SHA256Hex.string(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(date: date)))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
                         headers: added + [("Authorization", authorization)])
    }

    private func signingKey(date: Date) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [Self.format(date, "yyyyMMdd"), region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// Lowercase names, values trimmed with inner whitespace runs folded to one space,
    /// repeated names joined with commas in order, sorted by name.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var merged: [String: [String]] = [:]
        for header in headers {
            let value = header.value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
                .joined(separator: " ")
            merged[header.name.lowercased(), default: []].append(value)
        }
        return merged.keys.sorted().map { ($0, merged[$0]!.joined(separator: ",")) }
    }

    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map {
            (encode($0.name, keepingSlashes: false), encode($0.value, keepingSlashes: false))
        }
        let sorted = encoded.sorted { (lhs, rhs) -> Bool in
            lhs.name == rhs.name ? lhs.value < rhs.value : lhs.name < rhs.name
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters: the only bytes SigV4 leaves unencoded.
    private static let unreserved: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8))

    /// Percent-encoding of everything but unreserved characters (and `/` in paths).
    public static func encode(_ text: String, keepingSlashes: Bool) -> String {
        var result = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) || (keepingSlashes && byte == UInt8(ascii: "/")) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// The hex SHA-256 of `data`, as used for payload hashes.
    public static func sha256Hex(_ data: Data) -> String { SHA256Hex.of(data) }

    static func format(_ date: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}
