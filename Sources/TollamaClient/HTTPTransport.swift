import TSFMCore
import CCurl

/// One HTTP exchange to perform. The transport never looks inside the body.
struct HTTPRequest {
    var method: String
    var url: String
    /// Full header lines (`Name: value`). The bearer token travels only here.
    var headers: [String]
    var body: [UInt8]?
    /// Seconds for connect and transfer together.
    var timeout: Double
}

/// Why no HTTP status came back.
struct TransportFailure: Error {
    enum Kind: Equatable {
        /// The per-call time limit passed (connect or transfer).
        case timeout
        /// Nothing listens there, or the host does not resolve.
        case connect
        /// The connection closed before a complete answer (mid-body, or no answer at all).
        case dropped
        /// Anything else (a malformed URL, an answer over the size cap…).
        case other
    }
    var kind: Kind
    var message: String
}

/// What one exchange gave: a status and body, or a transport failure.
enum HTTPResult {
    case response(status: Int, body: [UInt8])
    case failure(TransportFailure)
}

/// Decides what to send, and when, to an `HTTPTransport` run: the transport asks it for work
/// while it has free slots and reports every completion back.
protocol ExchangeScheduler: AnyObject {
    /// A request to start now (monotonic `now`, seconds), with a token to report it back by.
    func nextReady(now: Double) -> (token: Int, request: HTTPRequest)?
    /// When a delayed request (a retry after backoff) becomes ready; nil when none waits.
    func nextWakeup() -> Double?
    /// Called once per started request.
    func complete(token: Int, result: HTTPResult, now: Double)
    /// True when nothing is waiting and nothing more will be asked for.
    var isFinished: Bool { get }
    /// Exchanges the scheduler wants in flight at once now (the transport's own maximum still
    /// applies); asked before every start, so it may change as answers come in.
    var inFlightLimit: Int { get }
}

extension ExchangeScheduler {
    var inFlightLimit: Int { Int.max }
}

/// Monotonic seconds, for time limits and backoff inside one process (never written anywhere).
func monotonicSeconds() -> Double { System.monotonicSeconds() }

/// libcurl's multi interface behind a small API: up to `maxInFlight` exchanges at once, with
/// connections kept alive in the multi handle's cache across runs, so a cycle of calls to the
/// same daemon reuses a handful of TCP connections.
final class HTTPTransport {
    private static let globalInit: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()

    /// Answers larger than this are refused (a daemon answer is kilobytes; this is a guard).
    static let maxBodyBytes = 64 << 20

    private let multi: UnsafeMutableRawPointer
    private let maxInFlight: Int
    private var idle: [EasyHandle] = []

    init(maxInFlight: Int) {
        _ = Self.globalInit
        self.maxInFlight = max(1, maxInFlight)
        multi = curl_multi_init()!
        // Keep enough idle connections cached for every slot, so keep-alive survives between chunks.
        _ = tsfm_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(8, self.maxInFlight * 2))
    }

    deinit {
        // Each EasyHandle cleans up its own easy handle; release them before the multi handle.
        idle.removeAll()
        curl_multi_cleanup(multi)
    }

    /// Performs everything the scheduler hands out, concurrently, until it is finished.
    func run(_ scheduler: ExchangeScheduler) {
        var active: [UnsafeMutableRawPointer: (token: Int, handle: EasyHandle)] = [:]
        while true {
            var now = monotonicSeconds()
            while active.count < min(maxInFlight, scheduler.inFlightLimit), let (token, request) = scheduler.nextReady(now: now) {
                let handle = idle.popLast() ?? EasyHandle()
                if let failure = handle.prepare(request) {
                    scheduler.complete(token: token, result: .failure(failure), now: now)
                    idle.append(handle)
                    continue
                }
                guard curl_multi_add_handle(multi, handle.easy) == CURLM_OK else {
                    scheduler.complete(token: token, result: .failure(TransportFailure(kind: .other, message: "libcurl refused the transfer")), now: now)
                    idle.append(handle)
                    continue
                }
                active[handle.easy] = (token, handle)
            }
            if active.isEmpty {
                if scheduler.isFinished { return }
                guard let wake = scheduler.nextWakeup() else { return }
                let wait = wake - monotonicSeconds()
                System.sleep(seconds: min(wait, 1.0))
                continue
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var completed = 0
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard tsfm_curl_msg_is_done(message) != 0, let easy = tsfm_curl_msg_handle(message),
                      let entry = active.removeValue(forKey: easy) else { continue }
                let code = tsfm_curl_msg_result(message)
                curl_multi_remove_handle(multi, easy)
                let result = entry.handle.finish(code: code)
                idle.append(entry.handle)
                now = monotonicSeconds()
                scheduler.complete(token: entry.token, result: result, now: now)
                completed += 1
            }
            if completed > 0 { continue }
            var waitMs: Int32 = 200
            if active.count < min(maxInFlight, scheduler.inFlightLimit), let wake = scheduler.nextWakeup() {
                waitMs = Int32(max(0, min(200, (wake - monotonicSeconds()) * 1000)))
            }
            curl_multi_poll(multi, nil, 0, waitMs, nil)
        }
    }
}

extension HTTPTransport {
    /// One GET, waited for (health probes, `tsfm-forecast health`), with a fresh `x-request-id`.
    func get(_ url: String, token: String?, timeout: Double) -> HTTPResult? {
        var ids = RequestIdSource(deterministic: false)
        var headers = ["Accept: application/json", "x-request-id: \(ids.next(for: []))"]
        if let token, !token.isEmpty { headers.append("Authorization: Bearer \(token)") }
        let one = SingleRequest(HTTPRequest(method: "GET", url: url, headers: headers, body: nil, timeout: timeout))
        run(one)
        return one.result
    }
}

/// One request through the transport.
final class SingleRequest: ExchangeScheduler {
    let request: HTTPRequest
    var started = false
    var result: HTTPResult?

    init(_ request: HTTPRequest) { self.request = request }

    func nextReady(now: Double) -> (token: Int, request: HTTPRequest)? {
        guard !started else { return nil }
        started = true
        return (0, request)
    }

    func nextWakeup() -> Double? { nil }
    func complete(token: Int, result: HTTPResult, now: Double) { self.result = result }
    var isFinished: Bool { result != nil }
}

/// One reusable easy handle and the buffer its answer is written into.
final class EasyHandle {
    let easy: UnsafeMutableRawPointer
    private let sink = BodySink()
    private var headerList: UnsafeMutablePointer<curl_slist>?

    init() {
        easy = curl_easy_init()!
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        curl_easy_cleanup(easy)
    }

    /// Sets the handle up for a request; a failure here is a configuration problem (bad URL…).
    func prepare(_ request: HTTPRequest) -> TransportFailure? {
        curl_easy_reset(easy)
        sink.bytes.removeAll(keepingCapacity: true)
        sink.overflow = false
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        for line in request.headers { headerList = curl_slist_append(headerList, line) }
        var code = request.url.withCString { tsfm_curl_setopt_ptr(easy, CURLOPT_URL, $0) }
        guard code == CURLE_OK else { return TransportFailure(kind: .other, message: "bad URL") }
        let ms = max(1, Int(request.timeout * 1000))
        _ = tsfm_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = tsfm_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, ms)
        _ = tsfm_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, ms)
        _ = tsfm_curl_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        // Only http(s): a base URL of file:// or the like must not read local files.
        _ = tsfm_curl_setopt_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        _ = tsfm_curl_setopt_ptr(easy, CURLOPT_HTTPHEADER, headerList)
        if request.method == "POST" {
            let body = request.body ?? []
            _ = tsfm_curl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            code = body.withUnsafeBytes { tsfm_curl_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
            guard code == CURLE_OK else { return TransportFailure(kind: .other, message: "cannot set the request body") }
        } else {
            _ = tsfm_curl_setopt_long(easy, CURLOPT_HTTPGET, 1)
        }
        _ = tsfm_curl_setopt_write(easy, bodySinkWrite)
        _ = tsfm_curl_setopt_ptr(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
        return nil
    }

    /// The result of a finished transfer.
    func finish(code: CURLcode) -> HTTPResult {
        guard code == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(code))
            switch code {
            case CURLE_OPERATION_TIMEDOUT:
                return .failure(TransportFailure(kind: .timeout, message: message))
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
                return .failure(TransportFailure(kind: .connect, message: message))
            case CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR:
                return .failure(TransportFailure(kind: .dropped, message: message))
            case CURLE_WRITE_ERROR where sink.overflow:
                return .failure(TransportFailure(kind: .other, message: "answer larger than \(HTTPTransport.maxBodyBytes) bytes"))
            default:
                return .failure(TransportFailure(kind: .other, message: message))
            }
        }
        var status = 0
        _ = tsfm_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let body = sink.bytes
        return .response(status: status, body: body)
    }
}

final class BodySink {
    var bytes: [UInt8] = []
    var overflow = false
}

private let bodySinkWrite: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let data, let context else { return 0 }
    let sink = Unmanaged<BodySink>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    if sink.bytes.count + n > HTTPTransport.maxBodyBytes {
        sink.overflow = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
    return n
}
