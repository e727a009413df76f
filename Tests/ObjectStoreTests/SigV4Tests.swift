import Foundation
import ObjectStore
import XCTest

/// SigV4 against the published AWS test-suite vectors (../shared/sigv4-vectors) and S3's own
/// documented examples; the S3-specific expectations were computed independently with botocore.
final class SigV4Tests: XCTestCase {
    private static let vectors = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/sigv4-vectors").standardizedFileURL

    private static let amazonExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    private static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    private static let may24 = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z

    func testPublishedVectorsWithS3PathRules() throws {
        guard FileManager.default.fileExists(atPath: Self.vectors.path) else {
            let message = "The SigV4 test vectors are not at \(Self.vectors.path): clone the project with ../shared beside it."
            if ProcessInfo.processInfo.environment["DPM_TEST_REQUIRE_SERVICES"] == "1" { return XCTFail(message) }
            throw XCTSkip(message)
        }
        let cases = try FileManager.default.contentsOfDirectory(atPath: Self.vectors.path).sorted()
            // S3 never normalizes paths: the "-normalized" variants describe other services.
            .filter { !$0.hasSuffix("-normalized") && !$0.hasPrefix(".") && !$0.hasSuffix(".md") }
        XCTAssertGreaterThan(cases.count, 25)
        for name in cases {
            let folder = Self.vectors.appendingPathComponent(name)
            func text(_ file: String) throws -> String {
                try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            }
            let context = try JSONSerialization.jsonObject(with: Data(text("context.json").utf8)) as! [String: Any]
            let credentials = context["credentials"] as! [String: String]
            let omitToken = context["omit_session_token"] as? Bool ?? false
            let signer = SigV4Signer(
                credentials: AWSCredentials(accessKeyID: credentials["access_key_id"]!, secretAccessKey: credentials["secret_access_key"]!,
                                            sessionToken: omitToken ? nil : credentials["token"]),
                region: context["region"] as! String, service: context["service"] as! String)
            let date = ISO8601DateFormatter().date(from: context["timestamp"] as! String)!
            let (request, body) = try Self.parse(text("request.txt"))
            var signable = request
            let signsBody = context["sign_body"] as? Bool ?? false
            signable.payloadHash = SigV4Signer.sha256Hex(body)
            let result = signer.sign(signable, at: date, sendPayloadHash: signsBody)
            XCTAssertEqual(result.canonicalRequest, try text("header-canonical-request.txt"), name)
            XCTAssertEqual(result.stringToSign, try text("header-string-to-sign.txt"), name)
            XCTAssertEqual(result.signature, try text("header-signature.txt").trimmingCharacters(in: .whitespacesAndNewlines), name)
        }
    }

    private func amazonExample(_ method: String, _ path: String, query: [(name: String, value: String)] = [],
                               headers: [(name: String, value: String)] = [], payloadHash: String = emptyHash) -> SigV4Signer.Signature {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: Self.amazonExampleSecret),
                                 region: "us-east-1")
        return signer.sign(SignableRequest(method: method, path: path, query: query,
                                           headers: [("Host", "examplebucket.s3.amazonaws.com")] + headers, payloadHash: payloadHash),
                           at: Self.may24)
    }

    func testAmazonS3DocumentationExamples() {
        XCTAssertEqual(amazonExample("GET", "/test.txt", headers: [("Range", "bytes=0-9")]).signature,
                       "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let put = amazonExample("PUT", "/test$file.text",
                                headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                                payloadHash: SigV4Signer.sha256Hex(Data("Welcome to Amazon S3.".utf8)))
        XCTAssertTrue(put.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\n"), put.canonicalRequest)
        XCTAssertEqual(put.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
        XCTAssertEqual(amazonExample("GET", "/", query: [("lifecycle", "")]).signature,
                       "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        XCTAssertEqual(amazonExample("GET", "/", query: [("max-keys", "2"), ("prefix", "J")]).signature,
                       "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    func testKeysWithSpacePlusEqualsAndUnicodeAndValuelessQueryKey() {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: Self.amazonExampleSecret),
                                 region: "us-east-1")
        let result = signer.sign(SignableRequest(method: "POST", path: "/a b+c=d/ü.txt", query: [("uploads", "")],
                                                 headers: [("Host", "b.s3.amazonaws.com")], payloadHash: Self.emptyHash), at: Self.may24)
        XCTAssertEqual(result.canonicalRequest, """
        POST
        /a%20b%2Bc%3Dd/%C3%BC.txt
        uploads=
        host:b.s3.amazonaws.com
        x-amz-content-sha256:\(Self.emptyHash)
        x-amz-date:20130524T000000Z

        host;x-amz-content-sha256;x-amz-date
        \(Self.emptyHash)
        """)
        XCTAssertEqual(result.signature, "e4c9f67416ea34d74fb1797b661b2aadbd1b200a9c25e3bafb16c51bbde0e037")
        XCTAssertEqual(result.headers.map(\.name), ["X-Amz-Date", "X-Amz-Content-SHA256", "Authorization"])
    }

    func testSessionTokenIsSignedAndSecretsStayOutOfDescriptions() {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "very-secret", sessionToken: "tok")
        let result = SigV4Signer(credentials: credentials, region: "eu-west-1")
            .sign(SignableRequest(method: "GET", path: "/k", headers: [("Host", "h")], payloadHash: "UNSIGNED-PAYLOAD"), at: Self.may24)
        XCTAssertTrue(result.canonicalRequest.contains("x-amz-security-token:tok\n"))
        XCTAssertTrue(result.headers.last!.value.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        XCTAssertFalse("\(credentials)".contains("very-secret"))
    }

    /// Splits a raw HTTP request from the test suite into a signable request (decoded path and
    /// query, headers with continuation lines folded) and its body.
    static func parse(_ raw: String) throws -> (SignableRequest, Data) {
        let parts = raw.components(separatedBy: "\n\n")
        var lines = parts[0].components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix { $0 != " " })
        let target = String(requestLine.dropFirst(method.count + 1).dropLast(" HTTP/1.1".count))
        let pathPart = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(pathPart[0]).removingPercentEncoding ?? String(pathPart[0])
        var query: [(name: String, value: String)] = []
        if pathPart.count > 1 {
            for item in pathPart[1].split(separator: "&") {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append((String(pair[0]).removingPercentEncoding!, pair.count > 1 ? String(pair[1]).removingPercentEncoding! : ""))
            }
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        let body = parts.count > 1 ? Data(parts[1...].joined(separator: "\n\n").utf8) : Data()
        return (SignableRequest(method: method, path: path, query: query, headers: headers, payloadHash: ""), body)
    }
}
