import Crypto
import Foundation

/// The whole-object values S3 derives from a multipart upload's parts, to recognize the object
/// an upload made when the answer to its Complete was lost.
enum MultipartChecksums {
    /// The composite CRC-32 ("<base64>-<parts>"): the CRC-32 of the parts' CRC-32s, each as
    /// its four big-endian bytes.
    static func compositeCRC32(_ partChecksums: [String]) -> String? {
        var joined = Data()
        for checksum in partChecksums {
            guard let bytes = Data(base64Encoded: checksum), bytes.count == 4 else { return nil }
            joined += bytes
        }
        let crc = CRC32Writer()
        joined.withUnsafeBytes { try? crc.write($0) }
        return "\(crc.base64)-\(partChecksums.count)"
    }

    /// The multipart ETag ("\"<md5 hex>-<parts>\""): the MD5 of the parts' ETags as bytes;
    /// nil when a part's ETag is not 32 hex digits (then S3's is not comparable).
    static func compositeETag(_ partETags: [String]) -> String? {
        var joined = Data()
        for etag in partETags {
            let hex = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard hex.count == 32, let bytes = bytes(hex: hex) else { return nil }
            joined += bytes
        }
        let digest = Insecure.MD5.hash(data: joined).map { String(format: "%02x", $0) }.joined()
        return "\"\(digest)-\(partETags.count)\""
    }

    private static func bytes(hex: String) -> Data? {
        var bytes = Data()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
