import DatasetKit
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A store in an S3 bucket (AWS or an S3-compatible service), signed with SigV4.
/// Uploads pass through temporary files of at most a part each, so that every PUT has an
/// exact length and checksum (and can be sent again on a retry); a download is spooled
/// through a temporary file, complete (resumed with Range if it broke off) before anyone
/// reads it.
public struct S3Store: ObjectStore {
    public let configuration: S3Configuration
    private let signer: SigV4Signer
    private let http: CurlHTTPClient
    private let retry: RetryPolicy
    private let spoolDirectory: String
    let log: @Sendable (String) -> Void
    /// Objects larger than this go up in parts of this size (at least S3's minimum of 5 MiB).
    public let partSize: Int64
    /// Parts in flight at once.
    public let partConcurrency: Int

    public static let minimumPartSize: Int64 = 5 << 20

    /// - Parameters:
    ///   - transfer: request timeout, part size and parts in flight (the defaults of an empty environment).
    ///   - retry: the retry policy; by default the one `transfer.retry` describes.
    ///   - log: receives a line per request (status, duration) and per retry, shown with
    ///     DPM_VERBOSE=1; never a secret (query values such as upload ids are left out).
    public init(configuration: S3Configuration, transfer: S3TransferSettings = S3TransferSettings(environment: [:]),
                retry: RetryPolicy? = nil,
                spoolDirectory: String = NSTemporaryDirectory(), log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.partSize = max(transfer.partSize, Self.minimumPartSize)
        self.partConcurrency = max(1, transfer.jobs)
        self.configuration = configuration
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.http = CurlHTTPClient(timeoutSeconds: transfer.timeoutSeconds)
        self.retry = retry ?? RetryPolicy(transfer.retry)
        self.spoolDirectory = spoolDirectory
        self.log = log
    }

    public var displayName: String { "s3://\(configuration.bucket)/\(configuration.prefix)" }

    // MARK: ObjectStore

    @discardableResult
    public func put(_ key: String, from source: ByteReader, expectedSHA256: String?, overwrite: Bool,
                    verify: (@Sendable (ByteReader) throws -> Void)?) throws -> StoredBytes {
        guard StoreLayout.isValidKey(key) else { throw DPMError.invalidStoreKey(key) }
        let objectKey = configuration.prefix + key
        let check = ConcurrentCheck(verify: verify)
        defer { check.end() }
        var part = try PartFile(number: 1, directory: spoolDirectory)
        // Started once the object is known to need more than one part; its parts go up while
        // the rest is still being produced.
        var upload: MultipartUpload?
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let count = try source.read(into: buffer)
                if count == 0 { break }
                var chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                try check.write(chunk)
                while !chunk.isEmpty {
                    // A full part is sent only once more bytes follow it, so the last part is never empty.
                    if part.size == partSize {
                        if upload == nil { upload = try MultipartUpload(store: self, objectKey: objectKey) }
                        try upload?.send(part)
                        part = try PartFile(number: part.number + 1, directory: spoolDirectory)
                    }
                    let taken = Int(min(Int64(chunk.count), partSize - part.size))
                    try part.write(UnsafeRawBufferPointer(rebasing: chunk[0..<taken]))
                    chunk = UnsafeRawBufferPointer(rebasing: chunk[taken...])
                }
            }
            try check.finish()
            // The last part goes up while the check finishes; nothing is visible before Complete.
            if let upload { try upload.send(part) }
            let stored = try check.awaitVerdict()
            if let expectedSHA256, expectedSHA256 != stored.sha256 {
                throw DPMError.storedHashMismatch(key: key, expected: expectedSHA256, actual: stored.sha256)
            }
            if let upload {
                try upload.complete(size: stored.size)
                return stored
            }
            var headers: [(name: String, value: String)] = [("x-amz-checksum-sha256", Self.base64(hex: stored.sha256))]
            if !overwrite { headers.append(("If-None-Match", "*")) }
            let whole = part
            let response = try send("PUT", key: objectKey, headers: headers,
                                    body: { try whole.reader() }, bodyLength: stored.size, payloadHash: stored.sha256)
            if response.status == 412 { throw DPMError.objectExists(key: key, store: displayName) }
            try expectSuccess(response, "store \(key)")
            return stored
        } catch {
            upload?.abort()
            throw error
        }
    }

    public func open(_ key: String) throws -> ByteReader {
        guard StoreLayout.isValidKey(key) else { throw DPMError.invalidStoreKey(key) }
        let spool = try Spool(directory: spoolDirectory)
        let resume = ResumingWriter(spool.writer)
        var total: Int64?
        let response = try send("GET", key: configuration.prefix + key, resume: resume, expectComplete: { headers in
            // The object's full length: from Content-Range on a partial answer, else Content-Length.
            if let range = headers["content-range"], let slash = range.lastIndex(of: "/") {
                total = Int64(range[range.index(after: slash)...])
            } else if total == nil {
                total = headers["content-length"].flatMap(Int64.init)
            }
            return total.map { resume.written >= $0 } ?? true
        })
        if response.status == 404 { throw DPMError.objectNotFound(key: key, store: displayName) }
        try expectSuccess(response, "read \(key)")
        if let total, resume.written != total {
            throw DPMError.unreachable("The download of \(key) from \(displayName) was cut short (\(resume.written) of \(total) bytes).")
        }
        try spool.writer.finish()
        return try spool.reader()
    }

    /// A ranged GET, answered in memory: ranges are objects in packs, a few hundred KiB at most.
    public func open(_ key: String, range: Range<Int64>) throws -> ByteReader {
        guard StoreLayout.isValidKey(key) else { throw DPMError.invalidStoreKey(key) }
        guard !range.isEmpty else { return DataReader(Data()) }
        let response = try send("GET", key: configuration.prefix + key, headers: [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")])
        if response.status == 404 { throw DPMError.objectNotFound(key: key, store: displayName) }
        // Nothing of the range is there: the object is shorter than where it starts.
        if response.status == 416 { return DataReader(Data()) }
        try expectSuccess(response, "read \(key)")
        // A server that ignores Range answers 200 with the whole object.
        return response.status == 206 ? DataReader(response.body) : RangeReader(DataReader(response.body), range: range)
    }

    public func storedSize(_ key: String) throws -> Int64? {
        guard StoreLayout.isValidKey(key) else { throw DPMError.invalidStoreKey(key) }
        let response = try send("HEAD", key: configuration.prefix + key)
        if response.status == 404 { return nil }
        try expectSuccess(response, "look up \(key)")
        return response.headers["content-length"].flatMap(Int64.init) ?? 0
    }

    public func entries(prefix: String) throws -> [StoreEntry] {
        var entries: [StoreEntry] = []
        var token: String?
        // Bounded: a listing of more than 100 million keys is not a dpm store.
        for _ in 0..<100_000 {
            var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", configuration.prefix + prefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try send("GET", key: nil, query: query, errorIn200: true)
            try expectSuccess(response, "list \(prefix)")
            if let problem = AnswerDocument.problem(in: response.body) {
                throw DPMError.unreachable("S3 could not list \(prefix) in \(displayName): \(problem).")
            }
            guard let page = ListBucketResult(response.body) else {
                throw DPMError.unreachable("S3 sent a listing of \(prefix) in \(displayName) whose keys, sizes and times do not line up.")
            }
            entries += page.items.map {
                StoreEntry(key: String($0.key.dropFirst(configuration.prefix.count)), size: $0.size, modified: $0.modified)
            }
            guard page.isTruncated, let next = page.continuationToken else { return entries.sorted { $0.key < $1.key } }
            token = next
        }
        throw DPMError.unreachable("The listing of \(displayName)\(prefix) did not end.")
    }

    public func delete(_ key: String) throws {
        guard StoreLayout.isValidKey(key) else { throw DPMError.invalidStoreKey(key) }
        let response = try send("DELETE", key: configuration.prefix + key)
        if response.status == 404 { return }
        try expectSuccess(response, "delete \(key)")
    }

    /// Creates the bucket (for tests and first-time set-up against S3-compatible services).
    public func createBucket() throws {
        var body: Data?
        if configuration.region != "us-east-1" {
            body = Data("<CreateBucketConfiguration><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>".utf8)
        }
        let response = try send("PUT", key: nil, body: body.map { data in { DataReader(data) } }, bodyLength: Int64(body?.count ?? 0),
                                payloadHash: SigV4Signer.sha256Hex(body ?? Data()))
        if response.status == 409 { return } // already there and ours
        try expectSuccess(response, "create the bucket")
    }

    // MARK: Requests

    /// The request path: the bucket in it for path-style addressing, then the key.
    private func location(key: String?) -> (base: String, path: String) {
        let objectPath = key.map { "/\($0)" } ?? "/"
        if configuration.pathStyle {
            return (configuration.endpoint ?? "https://s3.\(configuration.region).amazonaws.com",
                    "/\(configuration.bucket)\(key == nil ? "" : objectPath)")
        }
        let base = configuration.endpoint.map { endpoint -> String in
            let scheme = endpoint.hasPrefix("https://") ? "https://" : "http://"
            return scheme + configuration.bucket + "." + endpoint.dropFirst(scheme.count)
        } ?? "https://\(configuration.bucket).s3.\(configuration.region).amazonaws.com"
        return (base, objectPath)
    }

    /// Sends one request, retried as `retry` decides. A download (`resume`) that breaks off
    /// continues with a Range request from the bytes already held; `expectComplete` says, from
    /// a 2xx answer's headers, whether everything has arrived.
    func send(_ method: String, key: String?, query: [(name: String, value: String)] = [],
              headers extra: [(name: String, value: String)] = [], body: (() throws -> ByteReader)? = nil,
              bodyLength: Int64 = 0, payloadHash: String = SigV4Signer.sha256Hex(Data()),
              resume: ResumingWriter? = nil, expectComplete: (([String: String]) -> Bool)? = nil,
              errorIn200: Bool = false) throws -> HTTPResponse {
        // errorIn200: a 2xx answer must be an S3 document other than <Error>, else it is retried like a 500.
        let (base, path) = location(key: key)
        let host = base.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? ""
        let queryString = query.isEmpty ? "" : "?" + query.map {
            "\(SigV4Signer.encode($0.name, keepingSlashes: false))=\(SigV4Signer.encode($0.value, keepingSlashes: false))"
        }.joined(separator: "&")
        let url = base + SigV4Signer.encode(path, keepingSlashes: true) + queryString
        do {
            return try retry.run(onRetry: { attempt, failure, delay in
                log("S3 \(method) \(key ?? "/") failed (\(failure)); retry \(attempt) of \(retry.limits.maxAttempts - 1) in \(String(format: "%.1f", delay)) s")
            }) { attempt -> RetryPolicy.Outcome<HTTPResponse> in
                var headers = extra
                if let resume, resume.written > 0 { headers.append(("Range", "bytes=\(resume.written)-")) }
                let signature = signer.sign(SignableRequest(method: method, path: path, query: query,
                                                            headers: [("Host", host)] + headers, payloadHash: payloadHash), at: Date())
                let sent = Date()
                let response: HTTPResponse
                do {
                    response = try http.perform(HTTPRequest(
                        method: method, url: url, headers: headers + signature.headers, body: try body?(), bodyLength: bodyLength,
                        responseSink: resume, onSuccessfulResponse: { status, headers in resume?.begin(partial: status == 206) })).after(attempt)
                } catch let error as HTTPTransportError {
                    return .unreachable(reason: error.message)
                }
                log("S3 \(method) \(path)\(query.isEmpty ? "" : "?" + query.map(\.name).joined(separator: "&")) -> \(response.status) in \(String(format: "%.2f", Date().timeIntervalSince(sent))) s")
                return Self.outcome(of: response, errorIn200: errorIn200, expectComplete: expectComplete)
            }
        } catch let gaveUp as RetryPolicy.GaveUp where gaveUp.unreachable {
            throw DPMError.unreachable("Cannot reach S3 at \(base) for \(displayName): \(gaveUp.reason) (after \(gaveUp.attempts) attempt\(gaveUp.attempts == 1 ? "" : "s")).")
        } catch let gaveUp as RetryPolicy.GaveUp {
            throw DPMError.unreachable("S3 at \(base) kept failing for \(displayName): \(gaveUp.reason) (after \(gaveUp.attempts) attempt\(gaveUp.attempts == 1 ? "" : "s")).")
        }
    }

    /// What an answer means for retrying: a 2xx that holds an error document (with
    /// `errorIn200`) or is cut short, and a retryable status, are worth another attempt; when
    /// none is left, an error answer goes back to the caller to report.
    private static func outcome(of response: HTTPResponse, errorIn200: Bool,
                                expectComplete: (([String: String]) -> Bool)?) -> RetryPolicy.Outcome<HTTPResponse> {
        if errorIn200, (200..<300).contains(response.status), let problem = AnswerDocument.problem(in: response.body) {
            return .retryable(reason: "HTTP \(response.status) with \(problem)", answer: response)
        }
        if RetryPolicy.isRetryable(status: response.status) {
            return .retryable(reason: "HTTP \(response.status)", retryAfter: response.headers["retry-after"].flatMap(Double.init), answer: response)
        }
        if (200..<300).contains(response.status), let expectComplete, !expectComplete(response.headers) {
            return .retryable(reason: "the answer was cut short")
        }
        return .done(response)
    }

    /// Turns an S3 error answer into one sentence that says what to check.
    func expectSuccess(_ response: HTTPResponse, _ action: String) throws {
        guard !(200..<300).contains(response.status) else { return }
        let error = S3ErrorDocument(response.body)
        let code = error.code ?? "HTTP \(response.status)"
        switch code {
        case "NoSuchBucket":
            throw DPMError.notFound("The bucket \(configuration.bucket) does not exist; create it or fix the store URL \(displayName).")
        case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken":
            throw DPMError.permissionDenied("S3 refused the credentials for \(displayName) (\(code)); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN or the AWS_PROFILE.")
        case "AccessDenied", "HTTP 403":
            throw DPMError.permissionDenied("S3 denied access to \(displayName) while trying to \(action); check the permissions of the credentials.")
        case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException", "HTTP 301":
            let region = response.headers["x-amz-bucket-region"] ?? error.region
            throw DPMError.invalidInput("The bucket \(configuration.bucket) is not in region \(configuration.region)\(region.map { " but in \($0); set AWS_REGION=\($0)" } ?? "; set AWS_REGION to its region").")
        default:
            throw DPMError.unreachable(sentence("S3 could not \(action) in \(displayName): \(code)\(error.message.map { ", \($0)" } ?? "")"))
        }
    }

    private static func base64(hex: String) -> String {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return Data(bytes).base64EncodedString()
    }
}
