import DatasetKit
import Foundation

/// The lines of a stream that start with a marker, read in bounded memory: other lines,
/// however long, are skipped as they pass.
enum MarkedLines {
    static func read(_ source: ByteReader, marker: String) throws -> [String] {
        let prefix = Array(marker.utf8)
        var result: [String] = [], line: [UInt8] = [], skipping = false
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            for byte in chunk[..<count] {
                if byte == 0x0A {
                    if !skipping, line.starts(with: prefix) { result.append(String(decoding: line, as: UTF8.self)) }
                    line.removeAll(keepingCapacity: true)
                    skipping = false
                } else if !skipping {
                    line.append(byte)
                    // A line that cannot be a marked one is not kept.
                    if line.count <= prefix.count ? !prefix.starts(with: line) : line.count > 1 << 20 { skipping = true; line.removeAll() }
                }
            }
        }
        if !skipping, line.starts(with: prefix) { result.append(String(decoding: line, as: UTF8.self)) }
        return result
    }
}
