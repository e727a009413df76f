import DatasetKit
import Foundation

/// Multipart uploads: parts sent in parallel with their checksums, and a Complete that survives
/// a lost answer.
extension S3Store {
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
final class MultipartUpload: @unchecked Sendable {
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
