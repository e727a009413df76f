import CCurl
import DatasetKit
import Foundation

/// One HTTP exchange for the S3 client.
struct HTTPRequest {
    var method: String
    var url: String
    var headers: [(name: String, value: String)]
    /// The body and its exact length (S3 wants Content-Length), if any.
    var body: ByteReader?
    var bodyLength: Int64 = 0
    /// Where a successful (2xx) response body goes; error bodies are always kept in memory.
    var responseSink: ByteWriter?
    /// Told the status and headers of a 2xx response before its first body byte reaches the sink.
    var onSuccessfulResponse: ((Int, [String: String]) -> Void)?
}

struct HTTPResponse {
    var status: Int
    var headers: [String: String]
    /// The body when it was not streamed to a sink (error documents, listings).
    var body: Data
    /// How many times the request was sent to get this answer (S3Store's retries).
    var attempts = 1

    func after(_ attempts: Int) -> HTTPResponse {
        var copy = self
        copy.attempts = attempts
        return copy
    }
}

/// A blocking HTTP client; each call runs on one libcurl easy handle. Handles go back to a
/// pool after a call and keep their open connections, so later calls (parts of an upload,
/// the next object) reuse them instead of connecting (and, for HTTPS, handshaking) again.
final class CurlHTTPClient: @unchecked Sendable {
    private let timeoutSeconds: Int
    private let idleHandles = Locked<[UnsafeMutableRawPointer]>([])
    /// More idle handles than parts in flight would only hold connections open.
    private static let maximumIdleHandles = 16

    init(timeoutSeconds: Int) {
        CurlGlobal.initialize()
        self.timeoutSeconds = timeoutSeconds
    }

    deinit {
        for curl in idleHandles.current { curl_easy_cleanup(curl) }
    }

    func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let curl = idleHandles.withValue({ $0.popLast() }) ?? curl_easy_init() else {
            throw DPMError.internal("Cannot start an HTTP request: libcurl failed to initialize.")
        }
        defer { release(curl) }
        let exchange = Exchange(request: request)
        let context = Unmanaged.passUnretained(exchange).toOpaque()

        dpm_curl_set_string(curl, CURLOPT_URL, request.url)
        dpm_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        dpm_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT, 30)
        // A transfer slower than 1 KB/s for 60 s is stalled; the caller may retry it.
        dpm_curl_set_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1024)
        dpm_curl_set_long(curl, CURLOPT_LOW_SPEED_TIME, 60)
        dpm_curl_set_long(curl, CURLOPT_TIMEOUT, timeoutSeconds)
        switch request.method {
        case "GET": break
        case "HEAD": dpm_curl_set_long(curl, CURLOPT_NOBODY, 1)
        case "PUT":
            dpm_curl_set_long(curl, CURLOPT_UPLOAD, 1)
            dpm_curl_set_offset(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.bodyLength))
        default: dpm_curl_set_string(curl, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if request.method == "POST" {
            dpm_curl_set_long(curl, CURLOPT_POST, 1)
            dpm_curl_set_offset(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.bodyLength))
        }
        var headerList: UnsafeMutablePointer<curl_slist>?
        // curl adds "Expect: 100-continue" to uploads; S3 does not need the extra round trip.
        for header in request.headers + [("Expect", ""), ("Content-Type", request.body == nil ? "" : "application/octet-stream")] {
            headerList = curl_slist_append(headerList, "\(header.0): \(header.1)")
        }
        defer { curl_slist_free_all(headerList) }
        dpm_curl_set_slist(curl, CURLOPT_HTTPHEADER, headerList)

        dpm_curl_set_pointer(curl, CURLOPT_WRITEDATA, context)
        dpm_curl_set_callback(curl, CURLOPT_WRITEFUNCTION) { buffer, size, count, context in
            let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
            return exchange.receive(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
        }
        dpm_curl_set_pointer(curl, CURLOPT_HEADERDATA, context)
        dpm_curl_set_callback(curl, CURLOPT_HEADERFUNCTION) { buffer, size, count, context in
            let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
            exchange.header(UnsafeRawBufferPointer(start: buffer, count: size * count))
            return size * count
        }
        if request.body != nil {
            dpm_curl_set_pointer(curl, CURLOPT_READDATA, context)
            dpm_curl_set_callback(curl, CURLOPT_READFUNCTION) { buffer, size, count, context in
                let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
                return exchange.send(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
            }
        }

        let code = curl_easy_perform(curl)
        if let error = exchange.sinkError ?? exchange.sourceError { throw error }
        guard code == CURLE_OK else {
            throw HTTPTransportError(code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        dpm_curl_response_code(curl, &status)
        return HTTPResponse(status: status, headers: exchange.responseHeaders, body: exchange.body)
    }

    private func release(_ curl: UnsafeMutableRawPointer) {
        // The call's options (pointers to its headers and callbacks' context) go; the handle's
        // connections and DNS and TLS session caches stay.
        curl_easy_reset(curl)
        let kept = idleHandles.withValue { idle -> Bool in
            guard idle.count < Self.maximumIdleHandles else { return false }
            idle.append(curl)
            return true
        }
        if !kept { curl_easy_cleanup(curl) }
    }

    /// Per-call state the C callbacks reach through their context pointer.
    private final class Exchange {
        let request: HTTPRequest
        var responseHeaders: [String: String] = [:]
        var status = 0
        var body = Data()
        var sinkError: Error?
        var sourceError: Error?

        init(request: HTTPRequest) { self.request = request }

        func header(_ bytes: UnsafeRawBufferPointer) {
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("HTTP/") {
                responseHeaders = [:] // a new response (after 100 Continue or a redirect)
                status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            } else if let colon = line.firstIndex(of: ":") {
                responseHeaders[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }

        private var announced = false

        func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
            guard (200..<300).contains(status), let sink = request.responseSink else {
                body.append(contentsOf: bytes)
                return body.count < 16 << 20
            }
            if !announced {
                announced = true
                request.onSuccessfulResponse?(status, responseHeaders)
            }
            do {
                try sink.write(bytes)
                return true
            } catch {
                sinkError = error
                return false
            }
        }

        func send(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
            do {
                return try request.body?.read(into: buffer) ?? 0
            } catch {
                sourceError = error
                return Int(CURL_READFUNC_ABORT)
            }
        }
    }
}

/// A failure below HTTP: connection refused, timeout, reset, TLS.
struct HTTPTransportError: Error, CustomStringConvertible {
    let code: Int
    let message: String
    var description: String { message }
}

/// curl_global_init must run once before any thread uses libcurl.
enum CurlGlobal {
    private static let once: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()
    static func initialize() { _ = once }
}
