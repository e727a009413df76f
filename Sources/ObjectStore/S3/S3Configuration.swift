import DatasetKit
import Foundation

/// Where and as whom to talk to S3, resolved the way AWS tools do: environment first,
/// then the shared credentials and config files of AWS_PROFILE.
public struct S3Configuration: Sendable {
    public var bucket: String
    public var prefix: String
    public var region: String
    /// scheme://host[:port] of a custom endpoint, or nil for AWS.
    public var endpoint: String?
    public var pathStyle: Bool
    public var credentials: AWSCredentials

    /// Parses `s3://bucket/prefix` and resolves the rest from `aws` (the AWS variables) and the
    /// files it names (and `endpoint` from dpm.yaml).
    public static func resolve(url: String, endpoint configuredEndpoint: String?, aws: AWSSettings) throws -> S3Configuration {
        let rest = url.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        guard (3...63).contains(bucket.count), bucket.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }) else {
            throw DPMError.invalidInput("The store URL \"\(Redaction.withoutUserInfo(url))\" does not name a valid bucket (3 to 63 lowercase letters, digits, \"-\" and \".\").")
        }
        var prefix = String(rest.dropFirst(bucket.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !prefix.isEmpty { prefix += "/" }

        let profile = aws.profile
        let credentialsFile = INIFile(path: aws.credentialsFile)
        let configFile = INIFile(path: aws.configFile)
        let configSection = profile == "default" ? "default" : "profile \(profile)"

        let credentials: AWSCredentials
        if let key = aws.accessKeyID, let secret = aws.secretAccessKey {
            credentials = AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: aws.sessionToken)
        } else if let key = credentialsFile.value("aws_access_key_id", in: profile), let secret = credentialsFile.value("aws_secret_access_key", in: profile) {
            credentials = AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: credentialsFile.value("aws_session_token", in: profile))
        } else {
            throw DPMError.invalidInput("No AWS credentials for \(url): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile \"\(profile)\" to \(credentialsFile.path).")
        }

        let region = aws.region ?? configFile.value("region", in: configSection) ?? "us-east-1"
        let endpoint = aws.endpoint ?? configuredEndpoint.flatMap { $0.isEmpty ? nil : $0 }
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw DPMError.invalidInput("The S3 endpoint \"\(Redaction.withoutUserInfo(endpoint))\" must start with http:// or https://.")
        }
        // S3 signs requests with the AWS credentials; a user and password in the URL would only
        // be sent as Basic auth and echoed wherever the endpoint is named.
        if let endpoint, Redaction.hasUserInfo(endpoint) {
            throw DPMError.invalidInput("The S3 endpoint \"\(Redaction.withoutUserInfo(endpoint))\" contains a user name or password; remove it from the URL and give the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or an AWS profile.")
        }
        let pathStyle = aws.pathStyle ?? (endpoint != nil)
        return S3Configuration(bucket: bucket, prefix: prefix, region: region,
                               endpoint: endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
                               pathStyle: pathStyle, credentials: credentials)
    }
}

/// The INI-style files of the AWS CLI: `[section]` headers and `key = value` lines.
struct INIFile {
    let path: String
    private let sections: [String: [String: String]]

    init(path: String) {
        self.path = path
        var sections: [String: [String: String]] = [:]
        var current = ""
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
            } else if let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                sections[current, default: [:]][key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
        }
        self.sections = sections
    }

    func value(_ key: String, in section: String) -> String? {
        sections[section]?[key].flatMap { $0.isEmpty ? nil : $0 }
    }
}
