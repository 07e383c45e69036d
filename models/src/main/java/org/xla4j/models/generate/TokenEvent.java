package org.xla4j.models.generate;

/**
 * One generated token, as the streaming form of {@link Generator#generate} reports it, in order per request.
 *
 * @param request the request's index
 * @param token the id
 * @param text the text this token completes (may be empty while a UTF-8 character is incomplete)
 * @param finished whether this is the request's last token
 */
public record TokenEvent(int request, int token, String text, boolean finished) {}
