// Stage names by id, filled whenever pipelines are loaded, for messages that
// name a stage (an offline move refused because the deal moved elsewhere).
export const stageNames = new Map<string, string>();
