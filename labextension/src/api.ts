// The certlab server extension's REST API (certlab/labext/handlers.py).
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IExerciseResult {
  exercise: string;
  grade_id: string;
  score: number;
  max_score: number;
  passed: boolean;
  reason: string;
  next_hint: string;
}

export interface ICheckResult {
  notebook: string;
  assignment: string;
  student: string;
  hidden: boolean;
  recorded: boolean;
  score: number;
  max_score: number;
  passed: boolean;
  results: IExerciseResult[];
  missing: string[];
  flags: string[];
  timing: string | null;
  solutions_viewed: string[];
}

export interface IProblem {
  ok: false;
  kind: string;
  error: string;
  advice: string;
}

export interface ICheckJob {
  id: string;
  notebook: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  stage: string;
  elapsed: number;
  ok?: boolean;
  result?: ICheckResult;
  kind?: string;
  error?: string;
  advice?: string;
}

export interface IDomain {
  id: string;
  name: string;
  weight: number;
  mastery: number | null;
  coverage: number;
}

export interface IExam {
  id: string;
  name: string;
  status: string;
  label: string;
  readiness: number | null;
  coverage: number;
  domains: IDomain[];
}

export interface IAssignmentProgress {
  id: string;
  title: string;
  track: string;
  earned: number;
  possible: number;
  attempted: boolean;
}

export interface IProgress {
  ok: true;
  course: string;
  student: string;
  assignments: IAssignmentProgress[];
  next_assignments: string[];
  exams: IExam[];
  default_exam: string | null;
  hints: number;
  solutions: number;
}

export interface IHint {
  ok: true;
  exercise: string;
  level: number;
  levels: number;
  label: string;
  markdown: string;
}

/** An error the server extension cannot answer (absent, or the server is gone). */
export class ApiError extends Error {
  constructor(
    message: string,
    public readonly status: number
  ) {
    super(message);
  }
}

export async function request<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'certlab', endpoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(`The Jupyter server cannot be reached (${error}).`, 0);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = JSON.parse(text).message || text;
    } catch {
      // not JSON: keep the text
    }
    if (response.status === 404 && !message) {
      message = 'not found';
    }
    throw new ApiError(message, response.status);
  }
  return JSON.parse(text) as T;
}

export function startCheck(path: string): Promise<ICheckJob> {
  return request<ICheckJob>('checks', { method: 'POST', body: JSON.stringify({ path }) });
}

export function checkStatus(id: string): Promise<ICheckJob> {
  return request<ICheckJob>(`checks/${id}`);
}

export function cancelCheck(id: string): Promise<ICheckJob> {
  return request<ICheckJob>(`checks/${id}`, { method: 'DELETE' });
}

export function openHint(path: string, exercise: string): Promise<IHint | IProblem> {
  return request<IHint | IProblem>('hints', {
    method: 'POST',
    body: JSON.stringify({ path, exercise })
  });
}

export function fetchProgress(path: string): Promise<IProgress | IProblem> {
  return request<IProgress | IProblem>(`progress?path=${encodeURIComponent(path)}`);
}
