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
    private let log: @Sendable (String) -> Void
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

    public func storedSize(_ key: String) throws -> Int64? {
        guard StoreLayout.isValidKey(key) else { throw DPMError.invalidStoreKey(key) }
        let response = try send("HEAD", key: configuration.prefix + key)
        if response.status == 404 { return nil }
        try expectSuccess(response, "look up \(key)")
        return response.headers["content-length"].flatMap(Int64.init) ?? 0
    }

    public func list(prefix: String) throws -> [String] {
        var keys: [String] = []
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
            let page = ListBucketResult(response.body)
            keys += page.keys.map { String($0.dropFirst(configuration.prefix.count)) }
            guard page.isTruncated, let next = page.continuationToken else { return keys.sorted() }
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

    /// Sends one part with its SHA-256 as signed payload hash and its CRC-32 as S3 checksum;
    /// returns the part's ETag and checksum for the Complete document.
    fileprivate func uploadPart(_ part: PartFile, of objectKey: String, uploadID: String) throws -> UploadedPart {
        let checksum = part.crc32Base64
        let response = try send("PUT", key: objectKey, query: [("partNumber", String(part.number)), ("uploadId", uploadID)],
                                headers: [("x-amz-checksum-crc32", checksum)],
                                body: { try part.reader() }, bodyLength: part.size, payloadHash: part.sha256Hex)
        try expectSuccess(response, "upload part \(part.number) of \(objectKey)")
        guard let etag = response.headers["etag"] else {
            throw DPMError.unreachable("S3 returned no ETag for part \(part.number) of \(objectKey) in \(displayName).")
        }
        return UploadedPart(etag: etag, checksumCRC32: checksum)
    }

    fileprivate func startMultipartUpload(_ objectKey: String) throws -> String {
        // A checksum per part, which S3 verifies and keeps with the object. CRC-32, as the AWS
        // SDKs send: each part's SHA-256 is already checked through the signed payload hash,
        // and a second SHA-256 would only cost the server time (moto: 0.3 s of CPU per 500 MB).
        let started = try send("POST", key: objectKey, query: [("uploads", "")], headers: [("x-amz-checksum-algorithm", "CRC32")],
                               errorIn200: true)
        try expectSuccess(started, "start a multipart upload of \(objectKey)")
        if let problem = AnswerDocument.problem(in: started.body) {
            throw DPMError.unreachable("S3 could not start a multipart upload of \(objectKey) in \(displayName): \(problem).")
        }
        guard let uploadID = XMLFields(started.body).values["UploadId"]?.first, !uploadID.isEmpty else {
            throw DPMError.unreachable("S3 did not return an upload id for \(objectKey) in \(displayName).")
        }
        return uploadID
    }

    /// Completes an upload, retried like any request, including a 200 answer whose body is
    /// an error or no document at all (S3 may fail after it has sent "200 OK"; the AWS SDKs
    /// retry those as a 500). A retry after an attempt whose answer was lost may find the
    /// upload already completed (NoSuchUpload); the object is then accepted once its size and
    /// checksum show it is the one these parts make.
    fileprivate func completeMultipartUpload(_ objectKey: String, uploadID: String, parts uploaded: [Int: UploadedPart], size: Int64) throws {
        let ordered = uploaded.sorted { $0.key < $1.key }
        let parts = ordered.map {
            "<Part><ChecksumCRC32>\($0.value.checksumCRC32)</ChecksumCRC32><ETag>\(Self.xmlEscaped($0.value.etag))</ETag>"
                + "<PartNumber>\($0.key)</PartNumber></Part>"
        }.joined()
        let document = Data("<CompleteMultipartUpload>\(parts)</CompleteMultipartUpload>".utf8)
        let completed = try send("POST", key: objectKey, query: [("uploadId", uploadID)], body: { DataReader(document) },
                                 bodyLength: Int64(document.count), payloadHash: SigV4Signer.sha256Hex(document), errorIn200: true)
        if completed.status == 404, completed.attempts > 1, S3ErrorDocument(completed.body).code == "NoSuchUpload",
           try isCompleted(objectKey, size: size, parts: ordered.map(\.value)) {
            log("S3 multipart upload of \(objectKey) was completed by an earlier attempt whose answer was lost")
            return
        }
        try expectSuccess(completed, "complete the multipart upload of \(objectKey)")
        if let problem = AnswerDocument.problem(in: completed.body) {
            throw DPMError.unreachable("S3 could not complete the multipart upload of \(objectKey) in \(displayName): \(problem).")
        }
    }

    /// Whether `objectKey` holds the object that `parts` make: its size, and its composite
    /// checksum (or, where the store gives none, its multipart ETag) where they can be compared.
    private func isCompleted(_ objectKey: String, size: Int64, parts: [UploadedPart]) throws -> Bool {
        let response = try send("HEAD", key: objectKey, headers: [("x-amz-checksum-mode", "ENABLED")])
        let found = "HTTP \(response.status), \(response.headers["content-length"] ?? "no") bytes, CRC-32 "
            + "\(response.headers["x-amz-checksum-crc32"] ?? "none"), ETag \(response.headers["etag"] ?? "none")"
        log("S3 \(objectKey) after a lost Complete: \(found); expected \(size) bytes, CRC-32 "
            + "\(MultipartChecksums.compositeCRC32(parts.map(\.checksumCRC32)) ?? "?"), ETag \(MultipartChecksums.compositeETag(parts.map(\.etag)) ?? "?")")
        guard (200..<300).contains(response.status), response.headers["content-length"].flatMap(Int64.init) == size else { return false }
        if let checksum = response.headers["x-amz-checksum-crc32"], let expected = MultipartChecksums.compositeCRC32(parts.map(\.checksumCRC32)) {
            // S3 writes the part count after the checksum; some compatible stores leave it out.
            return checksum == expected || "\(checksum)-\(parts.count)" == expected
        }
        if let etag = response.headers["etag"], let expected = MultipartChecksums.compositeETag(parts.map(\.etag)),
           etag.hasSuffix("-\(parts.count)\"") {
            return etag == expected
        }
        return true
    }

    fileprivate func abortMultipartUpload(_ objectKey: String, uploadID: String) {
        let aborted = try? send("DELETE", key: objectKey, query: [("uploadId", uploadID)])
        if aborted.map({ !(200..<300).contains($0.status) }) ?? true {
            log("S3 multipart upload \(uploadID) of \(objectKey) could not be aborted; a lifecycle rule removes such leftovers")
        }
    }

    private static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
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
    private func send(_ method: String, key: String?, query: [(name: String, value: String)] = [],
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
    private func expectSuccess(_ response: HTTPResponse, _ action: String) throws {
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

/// A temporary file that holds one object on its way from S3; unlinked as soon as it is
/// opened for reading, so nothing is left behind whatever happens.
private final class Spool {
    let path: String
    let writer: FileWriter

    init(directory: String) throws {
        path = "\(directory)/dpm-s3-\(randomSuffix(16))"
        writer = try FileWriter(path: path, exclusive: true, mode: 0o600, durable: false)
    }

    deinit { unlink(path) }

    /// The one reader of a finished download; the file is unlinked at once.
    func reader() throws -> ByteReader {
        let reader = try FileReader(path: path)
        unlink(path)
        return reader
    }
}

/// What CompleteMultipartUpload must list for each part.
struct UploadedPart: Sendable {
    let etag: String
    let checksumCRC32: String
}

/// One multipart upload in progress: each part is sent from its own temporary file on its
/// own thread, at most `partConcurrency` at a time (the producer waits for a free slot), so
/// whatever the object's size, at most that many parts and the one being filled take disk
/// space, and the memory used is a chunk per part in flight.
private final class MultipartUpload: @unchecked Sendable {
    private let store: S3Store
    private let objectKey: String
    private let uploadID: String
    private let slots: DispatchSemaphore
    private let running = DispatchGroup()
    private let parts = Locked([Int: UploadedPart]())
    private let failure = Locked<Error?>(nil)

    init(store: S3Store, objectKey: String) throws {
        self.store = store
        self.objectKey = objectKey
        self.uploadID = try store.startMultipartUpload(objectKey)
        self.slots = DispatchSemaphore(value: store.partConcurrency)
    }

    /// Queues a complete part; throws the first failure of an earlier part, if any.
    func send(_ part: PartFile) throws {
        slots.wait()
        if let error = failure.current {
            slots.signal()
            throw error
        }
        running.enter()
        let thread = Thread { [self] in
            defer {
                slots.signal()
                running.leave()
            }
            do {
                let uploaded = try store.uploadPart(part, of: objectKey, uploadID: uploadID)
                parts.withValue { $0[part.number] = uploaded }
            } catch {
                failure.withValue { if $0 == nil { $0 = error } }
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    func complete(size: Int64) throws {
        running.wait()
        if let error = failure.current { throw error }
        try store.completeMultipartUpload(objectKey, uploadID: uploadID, parts: parts.current, size: size)
    }

    func abort() {
        running.wait()
        store.abortMultipartUpload(objectKey, uploadID: uploadID)
    }
}

/// The sink of a download that may be resumed: it counts what it holds, and when a server
/// answers a Range request with the whole object (200), it skips the bytes it already has.
final class ResumingWriter: ByteWriter {
    private let downstream: ByteWriter
    private(set) var written: Int64 = 0
    private var skip: Int64 = 0

    init(_ downstream: ByteWriter) { self.downstream = downstream }

    func begin(partial: Bool) { skip = partial ? 0 : written }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var bytes = bytes
        if skip > 0 {
            let dropped = Int(min(skip, Int64(bytes.count)))
            skip -= Int64(dropped)
            bytes = UnsafeRawBufferPointer(rebasing: bytes[dropped...])
        }
        guard !bytes.isEmpty else { return }
        try downstream.write(bytes)
        written += Int64(bytes.count)
    }

    func finish() throws { try downstream.finish() }
}

/// The parts of an S3 XML document dpm reads, collected by element name.
private final class XMLFields: NSObject, XMLParserDelegate {
    private(set) var values: [String: [String]] = [:]
    /// The document element's name; nil when the data held no element.
    private(set) var root: String?
    /// Whether the whole data parsed as one well-formed document.
    private(set) var isWellFormed = false
    private var text = ""

    init(_ data: Data) {
        super.init()
        let parser = XMLParser(data: data)
        parser.delegate = self
        isWellFormed = parser.parse()
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if root == nil { root = elementName }
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        values[elementName, default: []].append(text)
        text = ""
    }
}

private struct ListBucketResult {
    let keys: [String]
    let isTruncated: Bool
    let continuationToken: String?

    init(_ data: Data) {
        let fields = XMLFields(data).values
        keys = fields["Key"] ?? []
        isTruncated = fields["IsTruncated"]?.first == "true"
        continuationToken = fields["NextContinuationToken"]?.first
    }
}

private struct S3ErrorDocument {
    let code: String?
    let message: String?
    let region: String?

    init(_ data: Data) {
        let fields = XMLFields(data).values
        code = fields["Code"]?.first
        message = fields["Message"]?.first
        region = fields["Region"]?.first
    }
}

/// What is wrong with a 2xx answer that must be an S3 document (Complete, listings, an
/// upload's start), if anything: S3 may send "200 OK" before it has finished (Complete) and
/// then report a failure in the body, so the body alone says whether the request succeeded.
enum AnswerDocument {
    static func problem(in body: Data) -> String? {
        // S3 keeps a long Complete alive by sending spaces before the document.
        let document = XMLFields(Data(body.drop { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }))
        if document.root == "Error" { return document.values["Code"]?.first ?? "an error without a code" }
        guard document.isWellFormed, document.root != nil else { return body.isEmpty ? "no answer document" : "an unreadable answer document" }
        return nil
    }
}
