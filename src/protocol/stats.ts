// Wire shapes of live statistics: `GET /api/v1/realtime` and the opt-in `stats` socket
// event (extension), shared by the server, the SDK and the wallboard.

export type OperatorLiveState = 'logged_out' | 'available' | 'paused' | 'ringing' | 'on_call' | 'calling' | 'wrapup' | 'unavailable';

export interface OperatorSnapshot {
  id: number;
  name: string;
  groups: number[];
  /** Those of `groups` a supervisor suspended the operator in (UI/suspend, until UI/unsuspend). */
  suspended: number[];
  state: OperatorLiveState;
  /** ISO time the operator entered this state. */
  since: string;
  time_in_state: number;
  pause_id: number | null;
  call: { id_call: number; id_queue: number; caller_id_num?: string } | null;
  today: {
    handled: number;
    talk_time: number;
    wrapup_time: number;
    /** pause id → seconds */
    pause_time: Record<string, number>;
    logged_time: number;
    /** (talk + wrap-up) ÷ (logged in − paused), 0–1. */
    occupancy: number;
  };
}

export interface Alert {
  type: 'alert_op' | 'alert_file';
  id_queue: number;
  id_call?: number;
  duration_in_queue?: number;
  /** ISO time the alert was raised and until when it holds. */
  at: string;
  until: string;
}

export interface GroupSnapshot {
  id: number;
  name: string;
  waiting: number;
  /** Seconds the longest-waiting call has waited (0 when none). */
  longest_wait: number;
  operators: {
    logged_in: number;
    available: number;
    on_call: number;
    ringing: number;
    wrapup: number;
    paused: number;
    /** pause id → operators in that pause */
    paused_by: Record<string, number>;
  };
  today: {
    offered: number;
    answered: number;
    /** Left the queue unanswered (caller hung up, or the call went nowhere else). */
    abandoned: number;
    /** Left the queue unanswered for another queue or a trunk (overflow). */
    overflowed: number;
    /**
     * Share of today's queue passages answered within the threshold, among those with an
     * outcome (answered, abandoned or overflowed; calls still waiting are left out until
     * they have one). 0–1; 1 when there is none.
     */
    service_level: number;
    sl_threshold: number;
    /** Average seconds answered calls waited. */
    avg_wait: number;
    /** Average handle time (talk + wrap-up) in seconds. */
    aht: number;
  };
}

export interface RealtimeSnapshot {
  id_client: number;
  /** The last cpt this snapshot reflects: stream from here with `since`. */
  cpt: number;
  at: string;
  day: string;
  groups: GroupSnapshot[];
  operators: OperatorSnapshot[];
  trunks: { id: number; name: string; calls: number }[];
  /** The account's pause types, as `POST /ws/` lists them. */
  pauses: { id: number; value: string }[];
  alerts: Alert[];
}

/**
 * One point of `GET /api/v1/stats/series` (extension): the account at a moment of the
 * history, as the wallboard's last-hour chart samples the live state.
 */
export interface SeriesPoint {
  /** ISO time of the point. */
  t: string;
  /** Calls waiting in any group's queue at that moment. */
  waiting: number;
  /**
   * The day's service level over all groups at that moment: passages answered within their
   * group's threshold ÷ those with an outcome (answered, abandoned or overflowed) since the
   * start of that UTC day; 1 when there is none. 0–1.
   */
  service_level: number;
}

/** One row of `GET /api/v1/stats/groups`: a group over one period (15 min, hour or day). */
export interface GroupStatsRow {
  /** ISO start of the period. */
  period: string;
  id_queue: number;
  group_name: string;
  /** Queue passages that entered the group in the period. */
  offered: number;
  answered: number;
  abandoned: number;
  overflowed: number;
  answered_in_sl: number;
  service_level: number;
  /** Seconds. */
  avg_wait: number;
  /** Seconds (talk + wrap-up). */
  aht: number;
}

/** One row of `GET /api/v1/stats/operators`: an operator over one period. */
export interface OperatorStatsRow {
  period: string;
  id_operator: number;
  op_name: string;
  handled: number;
  /** Seconds. */
  talk_time: number;
  wrapup_time: number;
  pause_time: number;
  logged_time: number;
  occupancy: number;
}
