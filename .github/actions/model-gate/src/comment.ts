import * as github from '@actions/github';

/** The hidden marker that identifies mlship's PR comment, so each run edits it instead of adding one. */
export const COMMENT_MARKER = '<!-- mlship-ci-report -->';

/** An existing issue comment, as far as the upsert needs it. */
export interface IssueComment {
  id: number;
  body?: string | null;
  html_url: string;
}

/** The three calls the upsert makes; Octokit in the action, a typed fake in tests. */
export interface CommentClient {
  listComments(issueNumber: number): Promise<IssueComment[]>;
  createComment(issueNumber: number, body: string): Promise<IssueComment>;
  updateComment(commentId: number, body: string): Promise<IssueComment>;
}

/** One extra markdown section for the comment: its file, and its text when the file existed. */
export interface CommentSection {
  path: string;
  content?: string;
}

/** The comment body: marker, title, the gate table, then each section (a missing one is named). */
export function composeComment(gateMarkdown: string, sections: readonly CommentSection[]): string {
  const parts = [COMMENT_MARKER, '## mlship CI report', '', gateMarkdown.trimEnd()];
  for (const section of sections) {
    parts.push(
      '',
      section.content === undefined
        ? `_${section.path} was not produced: the step that writes it failed or was skipped._`
        : section.content.trimEnd(),
    );
  }
  return parts.join('\n') + '\n';
}

/**
 * Creates the marked comment on the pull request, or updates it in place when a previous run
 * left one. Returns the comment's URL and what was done.
 */
export async function upsertComment(
  client: CommentClient,
  issueNumber: number,
  body: string,
): Promise<{ url: string; action: 'created' | 'updated' }> {
  const existing = (await client.listComments(issueNumber)).find((c) => c.body?.includes(COMMENT_MARKER));
  if (existing) return { url: (await client.updateComment(existing.id, body)).html_url, action: 'updated' };
  return { url: (await client.createComment(issueNumber, body)).html_url, action: 'created' };
}

/** A CommentClient on the GitHub REST API for the current repository. */
export function octokitCommentClient(token: string): CommentClient {
  const octokit = github.getOctokit(token);
  const { owner, repo } = github.context.repo;
  return {
    listComments: (issue_number) =>
      octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 }),
    createComment: async (issue_number, body) =>
      (await octokit.rest.issues.createComment({ owner, repo, issue_number, body })).data,
    updateComment: async (comment_id, body) =>
      (await octokit.rest.issues.updateComment({ owner, repo, comment_id, body })).data,
  };
}

/** The pull request number of the triggering event, if it is one. */
export function pullRequestNumber(): number | undefined {
  return github.context.payload.pull_request?.number;
}
