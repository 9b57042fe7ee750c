import TSFMCore
#if canImport(Glibc)
import Glibc
#endif

/// Several tollama daemons behind one `ModelRuntime` (`--tollama-url URL1,URL2,…`). Each daemon
/// is a `TollamaRuntime` of its own, with its own circuit breaker, baseline-only history and
/// cache (all scoped by its URL in the state dir) and its own adaptive concurrency limit.
///
/// Spreading by load: a chunk's batches wait in one queue, and every daemon has a worker thread
/// that takes the next batches as soon as the daemon has nothing in flight — as many as its
/// adaptive limit allows — so a daemon that answers faster (fewer calls in flight, the least
/// loaded) takes more, and a slow one less. A batch a daemon could not serve for its own
/// trouble (timeout, unreachable, 429/5xx, an unusable answer, an open breaker, baseline-only
/// mode) goes back to the queue for a daemon that has not tried it yet, so one daemon dying
/// mid-run costs latency, not model answers. A daemon whose breaker is open stops taking work
/// until its cool-down is over (its runtime then sends the half-open trial). Configuration
/// problems (key refused, model not installed) are not retried elsewhere: they are answers.
public final class TollamaPool: ModelRuntime {
    public let members: [TollamaRuntime]

    public init(members: [TollamaRuntime]) {
        precondition(!members.isEmpty)
        self.members = members
        served = Array(repeating: 0, count: members.count)
        handedOver = Array(repeating: 0, count: members.count)
    }

    public var chunkSize: Int { members.map(\.chunkSize).reduce(0, +) }
    public var defaultModelName: String { members[0].defaultModelName }
    public var exitStatus: ExitStatus { members.contains { $0.exitStatus != .success } ? .config : .success }

    /// Failures another daemon may well serve.
    static func isDaemonTrouble(_ reason: FallbackReason) -> Bool {
        switch reason {
        case .tollamaTimeout, .tollamaUnreachable, .tollamaInvalidResponse, .circuitOpen, .baselineOnlyMode: return true
        default:
            guard reason.rawValue.hasPrefix("tollama_http_"), let status = Int(reason.rawValue.dropFirst(13)) else { return false }
            return status == 429 || status >= 500
        }
    }

    /// Served calls per daemon over the run (model answers), for tests and the summary log.
    public private(set) var served: [Int]
    /// Batches each daemon gave back for another to serve.
    public private(set) var handedOver: [Int]

    public convenience init(configs: [TollamaConfig], logger: Logger, seed: UInt64? = nil) {
        self.init(members: configs.enumerated().map { i, c in
            seed.map { TollamaRuntime(config: c, logger: logger, seed: $0 &+ UInt64(i)) } ?? TollamaRuntime(config: c, logger: logger)
        })
    }

    struct Item {
        var calls: [Int]
        var tried: Set<Int> = []
    }

    public func forecast(_ calls: [ModelCall]) -> [ModelOutcome] {
        guard !calls.isEmpty else { return [] }
        if members.count == 1 { return members[0].forecast(calls) }
        let lock = Monitor()
        var queue = members[0].batches(calls).map { Item(calls: $0) }
        var outcomes = [ModelOutcome?](repeating: nil, count: calls.count)
        var busy = 0
        var servedNow = [Int](repeating: 0, count: members.count)
        var handed = [Int](repeating: 0, count: members.count)
        let workers: [() -> Void] = members.indices.map { m in
            {
                let member = self.members[m]
                while true {
                    lock.lock()
                    var taken: [Item] = []
                    while true {
                        var i = 0
                        while i < queue.count && taken.count < member.limit.current {
                            if !queue[i].tried.contains(m) { taken.append(queue.remove(at: i)) } else { i += 1 }
                        }
                        if !taken.isEmpty || busy == 0 { break }
                        // Others are still out and may hand work back: wait for them.
                        lock.wait()
                    }
                    if taken.isEmpty {
                        lock.broadcast()
                        lock.unlock()
                        return
                    }
                    busy += 1
                    lock.unlock()
                    let indices = taken.flatMap(\.calls)
                    let answers = member.forecast(indices.map { calls[$0] })
                    lock.lock()
                    busy -= 1
                    var stop = false
                    var k = 0
                    for var item in taken {
                        let mine = answers[k..<(k + item.calls.count)]
                        k += item.calls.count
                        let trouble = mine.contains { if case .failure(let r, _) = $0 { return Self.isDaemonTrouble(r) } else { return false } }
                        for (c, outcome) in zip(item.calls, mine) {
                            outcomes[c] = outcome
                            if case .success = outcome { servedNow[m] += 1 }
                        }
                        if trouble {
                            // Hand the calls it failed to a daemon that has not tried them.
                            let failed = zip(item.calls, mine).filter { if case .failure(let r, _) = $1 { return Self.isDaemonTrouble(r) } else { return false } }.map(\.0)
                            item.calls = failed
                            item.tried.insert(m)
                            if item.tried.count < self.members.count {
                                queue.append(item)
                                handed[m] += 1
                            }
                            if mine.contains(where: { if case .failure(let r, _) = $0 { return r == .circuitOpen || r == .baselineOnlyMode } else { return false } }) {
                                stop = true
                            }
                        }
                    }
                    lock.broadcast()
                    lock.unlock()
                    // An open breaker (or baseline-only mode): this daemon sits the chunk out.
                    if stop {
                        lock.lock()
                        lock.broadcast()
                        lock.unlock()
                        return
                    }
                }
            }
        }
        Threads.run(workers)
        for m in members.indices {
            served[m] += servedNow[m]
            handedOver[m] += handed[m]
        }
        // Whatever no daemon could serve keeps the last reason it got (circuit_open when no
        // daemon took it at all).
        return outcomes.map { $0 ?? .failure(.circuitOpen, detail: "every tollama daemon's circuit breaker is open") }
    }

    public func finish() {
        for m in members { m.finish() }
        if members.count > 1 {
            members[0].logger.info("tollama daemons", [
                ("urls", .strings(members.map(\.config.baseURL))), ("served", .array(served.map { .int($0) })),
                ("handed_over", .array(handedOver.map { .int($0) })),
            ])
        }
    }
}

extension TollamaPool {
    /// The URLs in `--tollama-url` / `TOLLAMA_BASE_URL`: comma-separated, blanks dropped.
    public static func urls(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// A mutex with a condition variable.
final class Monitor {
    var mutex = pthread_mutex_t()
    var condition = pthread_cond_t()
    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }
    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
    func wait() { pthread_cond_wait(&condition, &mutex) }
    func broadcast() { pthread_cond_broadcast(&condition) }
}

/// Runs each body on a thread of its own and waits for all of them.
enum Threads {
    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func run(_ bodies: [() -> Void]) {
        var threads: [pthread_t] = []
        for body in bodies {
            var thread = pthread_t()
            let box = Unmanaged.passRetained(Box(body)).toOpaque()
            let rc = pthread_create(&thread, nil, { arg in
                Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
                return nil
            }, box)
            if rc == 0 {
                threads.append(thread)
            } else {
                Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body()
            }
        }
        for t in threads { pthread_join(t, nil) }
    }
}
