import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The parts of an S3 XML document dpm reads, collected by element name.
final class XMLFields: NSObject, XMLParserDelegate {
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

/// One page of ListObjectsV2. `Key`, `Size` and `LastModified` occur only in `Contents`, one
/// each, so their lists line up; a page where they do not is refused rather than misread.
struct ListBucketResult {
    struct Item: Equatable {
        let key: String
        let size: Int64
        let modified: Date
    }

    let items: [Item]
    let isTruncated: Bool
    let continuationToken: String?

    init?(_ data: Data) {
        let fields = XMLFields(data).values
        let keys = fields["Key"] ?? []
        let sizes = (fields["Size"] ?? []).compactMap { Int64($0) }
        let times = (fields["LastModified"] ?? []).compactMap(S3Time.parse)
        guard sizes.count == keys.count, times.count == keys.count else { return nil }
        items = keys.indices.map { Item(key: keys[$0], size: sizes[$0], modified: times[$0]) }
        isTruncated = fields["IsTruncated"]?.first == "true"
        continuationToken = fields["NextContinuationToken"]?.first
    }
}

/// S3's ISO 8601 times, `2026-12-02T20:31:07.000Z`, with or without the fraction.
enum S3Time {
    static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        return ISO8601DateFormatter().date(from: text)
    }
}

struct S3ErrorDocument {
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
