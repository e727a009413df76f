import Foundation

/// What `dpm verify` is asked.
public struct VerifyRequest: Sendable {
    /// `PROFILE` or `PROFILE@SNAPSHOT|TAG`; empty for every pinned snapshot (or, with `all`, every record).
    public var targets: [String]
    public var all: Bool
    public var reading: VerifyReading
    /// Objects read at once.
    public var jobs: Int

    public init(targets: [String] = [], all: Bool = false, reading: VerifyReading = .sizes,
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.targets = targets
        self.all = all
        self.reading = reading
        self.jobs = max(1, jobs)
    }
}

/// `dpm verify`: every object the chosen snapshots need exists with a stored size their records
/// give, in one listing of the store's objects (256 shards in parallel) instead of a request per
/// object; the objects chosen to be read (`ReadPlan`) are read from the store itself (never the
/// download cache), opened, decompressed and checked against their id, in parallel. What is
/// missing or damaged is marked (`DamageMarks`), so that the next upload of the same content
/// stores it anew; a marked object read intact loses its mark.
public struct StoreVerification {
    let workspace: Workspace
    /// Who marks an object, in the mark.
    let host: String
    /// Records and media indexes read at once, and shards listed at once: they wait on the store.
    var recordWidth = 32
    var listingWidth = 16

    public init(workspace: Workspace, host: String = ProcessInfo.processInfo.hostName) {
        self.workspace = workspace
        self.host = host
    }

    public func run(_ request: VerifyRequest) throws -> VerifyReport {
        let started = Date()
        let store = workspace.store
        let records = try StoreRecords.list(in: store)
        guard !records.isEmpty else {
            throw DPMError.notFound("The store \(store.displayName) holds no snapshots, so there is nothing to verify; check that dpm.yaml (or DPM_STORE) names the right store, or upload one with \"dpm upload PROFILE\".")
        }
        var selection = try VerifySelection.resolve(request.targets, all: request.all, project: workspace.project, store: store,
                                                    records: records, width: recordWidth)
        // The store's own bytes, whatever the download cache holds; opened as the store is sealed.
        let sealing = try workspace.encryption.sealing()
        let transfer = ObjectTransfer(store: store, codec: workspace.codec, sealing: sealing)
        selection.snapshots = selection.snapshots.filter { snapshot in
            do {
                try transfer.requireObjectIDs(of: snapshot)
                return true
            } catch let error as DPMError {
                selection.unreadable.append(SnapshotProblem(profile: snapshot.profile, id: snapshot.id, reason: error.message))
                return false
            } catch {
                return false
            }
        }

        let progress = workspace.progress
        var checks = Checks()
        let media = try readMediaIndexes(of: selection.snapshots, transfer: transfer, into: &checks, unreadable: &selection.unreadable)
        let chunkLists = try readChunkLists(of: selection.snapshots, media: media, transfer: transfer, into: &checks,
                                            unreadable: &selection.unreadable)
        let needs = ObjectNeeds(snapshots: selection.snapshots, media: media, chunkLists: chunkLists)
        progress.begin("Listing objects")
        let stored = try ObjectListing.all(in: store, width: listingWidth)
        let marked = try DamageMarks.list(in: store)
        progress.end()

        for need in needs.all where !need.isIndex && !need.isStored(in: stored) {
            if let place = need.packedAt, let pack = stored[place.pack] {
                checks.found(need.key, .wrongSize, reason: "its pack \(place.pack) has \(pack.size) bytes, too few to hold it at \(place.offset)")
            } else if let place = need.packedAt {
                checks.found(need.key, .missing, reason: "is missing: the store has no pack \(place.pack), which holds it")
            } else {
                checks.found(need.key, .missing, reason: "is missing")
            }
        }
        let plan = ReadPlan.choose(needs.all, stored: stored, marked: marked, reading: request.reading)
        try read(plan, needs: needs, stored: stored, transfer: transfer, jobs: request.jobs, into: &checks)

        var report = VerifyReport(
            store: store.displayName, reading: request.reading.name, samplePercent: request.reading.percent,
            snapshots: selection.snapshots.map {
                VerifiedSnapshot(profile: $0.profile, id: $0.id, pinned: selection.pinned.contains(SnapshotName(profile: $0.profile, id: $0.id)))
            },
            snapshotsChecked: selection.snapshots.count, objectsChecked: needs.count, objectsRead: checks.read,
            bytesRead: checks.storedBytes, contentBytesRead: checks.contentBytes, seconds: 0, megabytesPerSecond: 0,
            problems: checks.problems(needs: needs, stored: stored), unreadable: selection.unreadable.sorted { ($0.profile, $0.id ?? "") < ($1.profile, $1.id ?? "") },
            marked: [], marksRemoved: [], markingFailed: nil, intact: false)
        report.intact = report.problems.isEmpty && report.unreadable.isEmpty
        // A content read intact everywhere it was read loses its mark.
        let intact = Set(checks.intact.compactMap { needs[$0]?.id }).subtracting(report.problems.map(\.object))
        mark(&report, intact: intact.intersection(marked), marked: marked, store: store)
        report.seconds = Date().timeIntervalSince(started)
        report.megabytesPerSecond = report.seconds > 0 ? Double(report.bytesRead) / 1e6 / report.seconds : 0
        return report
    }

    /// What was found of each object, as the reads come back from many threads.
    struct Checks {
        var found: [String: (kind: ObjectProblem.Kind, reason: String)] = [:]
        /// Objects read and found intact.
        var intact = Set<String>()
        var read = 0
        var storedBytes: Int64 = 0
        var contentBytes: Int64 = 0

        mutating func found(_ id: String, _ kind: ObjectProblem.Kind, reason: String) { found[id] = (kind, reason) }

        mutating func add(_ id: String, _ copy: ObjectTransfer.StoredCopy, wrongSize: Bool) {
            read += 1
            storedBytes += copy.storedBytes
            contentBytes += copy.contentBytes
            switch copy.state {
            case .intact: intact.insert(id)
            case .missing: found(id, .missing, reason: "is missing")
            case .damaged(let reason):
                found(id, wrongSize ? .wrongSize : .corrupt, reason: reason.trimmingCharacters(in: CharacterSet(charactersIn: ".")))
            }
        }

        /// Keyed by `ObjectNeed.key`; each problem names the object's id.
        func problems(needs: ObjectNeeds, stored: [String: StoreEntry]) -> [ObjectProblem] {
            found.map { key, problem in
                let need = needs[key]
                let id = need?.id ?? key
                let size = need?.packedAt == nil ? stored[id]?.size : nil
                var reason = problem.reason
                if problem.kind == .wrongSize, let size {
                    let recorded = (need?.recordedSizes.sorted() ?? []).map(String.init).joined(separator: " or ")
                    reason = "has \(size) bytes where its records give \(recorded), and \(reason)"
                } else if problem.kind == .corrupt {
                    reason = "is corrupt: \(reason)"
                }
                return ObjectProblem(object: id, problem: problem.kind, reason: reason, storedSize: problem.kind == .missing ? nil : size,
                                     recordedSizes: need?.recordedSizes.sorted() ?? [], what: need?.what.sorted() ?? [],
                                     snapshots: need?.snapshots.sorted() ?? [])
            }.sorted { $0.object < $1.object }
        }
    }

    /// Reads each distinct media index of the snapshots in full from the store (they are
    /// objects to verify too, and their lists of files are needed); one that cannot be read
    /// is a problem object, and its files are not checked (said per snapshot).
    private func readMediaIndexes(of snapshots: [Snapshot], transfer: ObjectTransfer, into checks: inout Checks,
                                  unreadable: inout [SnapshotProblem]) throws -> [String: [MediaEntry]] {
        let indexes = Array(Set(snapshots.compactMap { $0.media?.index.sha256 })).sorted()
        guard !indexes.isEmpty else { return [:] }
        workspace.progress.begin("Reading media indexes", totalItems: indexes.count)
        defer { workspace.progress.end() }
        let results = Locked([String: (ObjectTransfer.StoredCopy, Data)]())
        try concurrentForEach(indexes, width: recordWidth) { [progress = workspace.progress] index in
            let sink = DataWriter()
            let copy = try transfer.checkStoredCopy(of: index, into: sink)
            results.withValue { $0[index] = (copy, sink.data) }
            progress.advance(items: 1)
        }
        var media: [String: [MediaEntry]] = [:]
        var unlisted: [String: String] = [:]
        for (index, (copy, data)) in results.current {
            checks.add(index, copy, wrongSize: false)
            switch copy.state {
            case .intact:
                do {
                    media[index] = try CanonicalJSON.decode([MediaEntry].self, from: data, what: "Its media index \(index)")
                } catch {
                    unlisted[index] = "\(error.userMessage) Its media files were not checked."
                }
            case .missing, .damaged:
                unlisted[index] = "Its media index \(index) cannot be read, so its media files were not checked."
            }
        }
        for snapshot in snapshots {
            guard let index = snapshot.media?.index.sha256, let reason = unlisted[index] else { continue }
            unreadable.append(SnapshotProblem(profile: snapshot.profile, id: snapshot.id, reason: reason))
        }
        return media
    }

    /// Reads each distinct chunk list of the snapshots in full from the store, as media indexes
    /// are read: objects to verify, and the lists of the chunks to check. One that cannot be
    /// read is a problem object, and its chunks are not checked (said per snapshot).
    private func readChunkLists(of snapshots: [Snapshot], media: [String: [MediaEntry]], transfer: ObjectTransfer, into checks: inout Checks,
                                unreadable: inout [SnapshotProblem]) throws -> [String: [Chunk]] {
        var artifacts: [String: Artifact] = [:]
        func files(of snapshot: Snapshot) -> [Artifact] {
            snapshot.data + (snapshot.media.flatMap { media[$0.index.sha256] } ?? []).map(\.artifact)
        }
        for snapshot in snapshots { for artifact in files(of: snapshot) where artifact.chunks != nil { artifacts[artifact.sha256] = artifact } }
        guard !artifacts.isEmpty else { return [:] }
        workspace.progress.begin("Reading chunk lists", totalItems: artifacts.count)
        defer { workspace.progress.end() }
        let results = Locked([String: (ObjectTransfer.StoredCopy, Data)]())
        try concurrentForEach(Array(artifacts.keys), width: recordWidth) { [progress = workspace.progress] list in
            let sink = DataWriter()
            let copy = try transfer.checkStoredCopy(of: list, into: sink)
            results.withValue { $0[list] = (copy, sink.data) }
            progress.advance(items: 1)
        }
        var lists: [String: [Chunk]] = [:]
        var unlisted: [String: String] = [:]
        for (list, (copy, data)) in results.current {
            checks.add(list, copy, wrongSize: false)
            let artifact = artifacts[list]!
            switch copy.state {
            case .intact:
                do {
                    lists[list] = try ChunkList.decode(data, of: artifact, what: artifact.path)
                } catch {
                    unlisted[list] = "\(error.userMessage) Its chunks were not checked."
                }
            case .missing, .damaged:
                unlisted[list] = "The chunk list \(list) of its \(artifact.path) cannot be read, so its chunks were not checked."
            }
        }
        for snapshot in snapshots {
            for reason in Set(files(of: snapshot).compactMap { unlisted[$0.sha256] }).sorted() {
                unreadable.append(SnapshotProblem(profile: snapshot.profile, id: snapshot.id, reason: reason))
            }
        }
        return lists
    }

    /// Reads the plan's objects in parallel, `jobs` at once.
    private func read(_ plan: ReadPlan.Choice, needs: ObjectNeeds, stored: [String: StoreEntry], transfer: ObjectTransfer, jobs: Int,
                      into checks: inout Checks) throws {
        guard !plan.read.isEmpty else { return }
        let progress = workspace.progress
        // An object in a pack is read from its range of the pack.
        @Sendable func place(of key: String) -> (at: PackedAt, storedSize: Int64)? {
            guard let need = needs[key], let at = need.packedAt else { return nil }
            return (at, need.recordedSizes.max() ?? 0)
        }
        progress.begin("Reading objects", totalBytes: plan.read.reduce(0) { $0 + (place(of: $1)?.storedSize ?? stored[$1]?.size ?? 0) },
                       totalItems: plan.read.count)
        defer { progress.end() }
        let copies = Locked([(String, ObjectTransfer.StoredCopy)]())
        try concurrentForEach(plan.read, width: jobs) { key in
            let packed = place(of: key)
            let copy = try transfer.checkStoredCopy(of: needs[key]?.id ?? key, packedAt: packed?.at, storedSize: packed?.storedSize ?? 0)
            copies.withValue { $0.append((key, copy)) }
            progress.advance(bytes: copy.storedBytes, items: 1)
        }
        for (id, copy) in copies.current { checks.add(id, copy, wrongSize: plan.wrongSize.contains(id)) }
    }

    /// Marks each problem object (replacing an older mark with what was found now) and removes
    /// the marks of marked objects read intact. A store that refuses the writes (read-only
    /// credentials) leaves the report as it is, saying so.
    private func mark(_ report: inout VerifyReport, intact: Set<String>, marked: Set<String>, store: ObjectStore) {
        let foundAt = Timestamp.iso8601(workspace.now())
        do {
            for problem in report.problems {
                try DamageMarks.write(DamageMark(object: problem.object, problem: problem.problem, reason: problem.reason,
                                                 storedSize: problem.storedSize, foundAt: foundAt, host: host,
                                                 tool: "dpm \(workspace.toolVersion)", snapshots: problem.snapshots), to: store)
                report.marked.append(problem.object)
            }
            for id in intact.sorted() {
                try DamageMarks.remove(id, from: store)
                report.marksRemoved.append(id)
            }
        } catch {
            report.markingFailed = error.userMessage
        }
    }
}
