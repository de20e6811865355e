import Foundation
import NASCSpace
import NASCTensor

/// Drives a method through its phases: position, progress, interruption and metrics. Checkpoints
/// (`LoopCheckpoint`) are written by the caller after every unit and on interruption; a resumed
/// loop continues with exactly the steps an uninterrupted one would take.
public final class SearchLoop {
  /// The method.
  public let method: any SearchMethod
  /// Where the loop stands.
  public internal(set) var position = LoopPosition()
  /// The metrics of every completed unit.
  public internal(set) var history: [Metrics] = []
  /// Seconds spent in the current unit so far (over interruptions).
  var unitSeconds = 0.0

  /// What the loop reports as it goes.
  public struct Events {
    /// A step finished: the unit's label (`epoch 3/20`), steps done, steps in the unit, detail.
    public var step: (String, Int, Int, String) -> Void = { _, _, _, _ in }
    /// A unit finished and was checkpointed: its label, metrics and summary line.
    public var unit: (String, Metrics, String) throws -> Void = { _, _, _ in }
    /// Write a checkpoint now.
    public var checkpoint: () throws -> Void = {}
    /// Whether to stop before the next step.
    public var shouldStop: () -> Bool = { false }

    /// No reporting.
    public init() {}
  }

  /// A loop at the start of a fresh run: enters the first phase.
  public init(method: any SearchMethod) throws {
    self.method = method
    if !method.phases.isEmpty { try method.enterPhase(0) }
  }

  /// A loop that continues where `state` stood; the caller restores the parameter sets after this.
  init(method: any SearchMethod, resuming state: LoopState) throws {
    self.method = method
    try method.restoreState(state.methodState)
    let phases = method.phases
    let p = state.position
    // Checkpoints are written inside a phase (after its last unit at the latest), never past the end.
    let fits =
      (0..<phases.count).contains(p.phase) && (0...phases[p.phase].units).contains(p.unit)
      && (0...phases[p.phase].stepsPerUnit).contains(p.step)
    guard fits, state.unitSeconds.isFinite else {
      throw RunError(
        "E303", "the checkpoint's position (phase \(p.phase), unit \(p.unit), step \(p.step)) does not fit this method",
        help: "the file was edited or damaged; start a new run")
    }
    position = state.position
    history = state.history
    unitSeconds = state.unitSeconds
    if position.phase < method.phases.count { try method.enterPhase(position.phase) }
  }

  /// Whether every phase has run.
  public var isFinished: Bool { position.phase >= method.phases.count }

  /// Whether no unit is left to run (every phase has run, or the last one has run its last unit).
  public var nothingLeft: Bool {
    let phases = method.phases
    return isFinished || (position.phase == phases.count - 1 && position.unit >= phases[position.phase].units)
  }

  /// The label of the current unit: `epoch 3/20`, or `stage 2: epoch 3/25` with several phases.
  public var label: String {
    let phases = method.phases
    guard position.phase < phases.count else { return "done" }
    let p = phases[position.phase]
    if position.unit >= p.units { return phases.count == 1 ? "done" : "\(p.name): done" }
    let unit = "\(p.unit) \(position.unit + 1)/\(p.units)"
    return phases.count == 1 ? unit : "\(p.name): \(unit)"
  }

  /// Runs until every phase is done (true) or `events.shouldStop` asks to stop between two steps
  /// (false; the caller then checkpoints).
  @discardableResult
  public func run(_ events: Events = Events()) throws -> Bool {
    while !isFinished {
      let phase = method.phases[position.phase]
      if position.unit >= phase.units {
        try method.endPhase(position.phase)
        position = LoopPosition(phase: position.phase + 1)
        if !isFinished { try method.enterPhase(position.phase) }
        continue
      }
      let label = self.label
      let start = Date()
      while position.step < phase.stepsPerUnit {
        if events.shouldStop() {
          unitSeconds += Date().timeIntervalSince(start)
          return false
        }
        try method.step(at: position)
        position.step += 1
        events.step(label, position.step, phase.stepsPerUnit, method.progressDetail)
      }
      unitSeconds += Date().timeIntervalSince(start)
      var (metrics, summary) = try method.endUnit(at: position)
      metrics["seconds"] = .number(unitSeconds)
      history.append(metrics)
      position.unit += 1
      position.step = 0
      let seconds = unitSeconds
      unitSeconds = 0
      try events.checkpoint()
      try events.unit(label, metrics, summary + String(format: "  %.1fs", seconds))
    }
    return true
  }

  /// The loop's own state plus the method's, for a checkpoint.
  func state() throws -> LoopState {
    LoopState(position: position, history: history, unitSeconds: unitSeconds, methodState: try method.saveState())
  }
}

extension LoopPosition {
  /// A position at the start of `phase`.
  init(phase: Int) {
    self.init()
    self.phase = phase
  }
}

/// What a checkpoint holds besides tensors.
struct LoopState: Codable {
  var position: LoopPosition
  var history: [Metrics]
  var unitSeconds: Double
  var methodState: Data
}
