// Generated from docs/rfc/openapi.json by `npm --prefix web run gen`
// (openapi-typescript): do not edit. Import the types through ./types.ts.
export interface paths {
    "/documents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Registers a file (opening it) and returns its stable `doc_id`; also
         *     records it in the recent files.
         *     With `content`, creates the file first (Save As), never over an
         *     existing one.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["OpenDocumentRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DocumentInfo"];
                    };
                };
                /** @description `invalid_path`, `not_a_file`, `not_a_directory` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `path_not_allowed`: a protected location */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `conflict`: creating, and a file is there */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `file_too_large` */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/documents/{doc_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Reads a document's text and version. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    doc_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DocumentContent"];
                    };
                };
                /** @description `path_not_allowed`: the file now resolves into a protected location */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_document`, `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `file_too_large` */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `not_utf8` */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        /**
         * Saves a document atomically if it has not changed on disk since the
         *     client read it.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    doc_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["WriteDocumentRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WriteResult"];
                    };
                };
                /** @description `path_not_allowed`: the file now resolves into a protected location */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_document` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `conflict`: changed or removed on disk */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What changed in the host: documents on disk, sessions, turn status,
         *     recent files, workspaces. Each frame is `id: <run>-<seq>` and one
         *     `data:` line with a `HostEvent`; reconnect with `Last-Event-ID` to get
         *     what was missed (or a `resync` event when that is no longer held).
         */
        get: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The last id seen, to resume after it */
                    "Last-Event-ID"?: string | null;
                };
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Event stream: one `HostEvent` per frame */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": components["schemas"]["HostEventFrame"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/handshake": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Protocol negotiation: a client states its protocol and learns the
         *     host's capabilities.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["HandshakeRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HandshakeResponse"];
                    };
                };
                /** @description `protocol_mismatch` */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness and identity; the supervisor's health check. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Health"];
                    };
                };
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/local-models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Local OpenAI-compatible servers: asks only 127.0.0.1 on the common
         *     ports (Ollama 11434, llama.cpp 8080, LM Studio 1234, vLLM 8000) for
         *     `/v1/models`, concurrently, 300 ms each, no redirects.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["LocalServers"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This API's OpenAPI 3.1 document. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OpenAPI document */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": unknown;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Which providers can serve a turn (keys are never shown). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ProviderList"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/providers/{provider}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Sets a provider's base URL, default model and timeouts. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    provider: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ProviderSettings"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ProviderList"];
                    };
                };
                /** @description `invalid_base_url`, `invalid_timeout`, `invalid_retries` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Changes the provider's settings that the body names: a field left out
         *     keeps its value, `null` puts it back to the default.
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    provider: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ProviderSettingsPatch"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ProviderList"];
                    };
                };
                /** @description `invalid_base_url`, `invalid_timeout`, `invalid_retries` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/providers/{provider}/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The provider's models (`GET {base_url}/models`), cached 5 minutes. */
        get: {
            parameters: {
                query?: {
                    /** @description Ask the provider even when the cached list is fresh. */
                    refresh?: boolean;
                };
                header?: never;
                path: {
                    provider: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The list; `stale: true` with `error` when the provider failed and this is the last list it gave */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ModelListBody"];
                    };
                };
                /** @description `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `provider_down`: the provider is not configured (no key, or no base URL) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description the provider failed and no list was fetched before: `provider_connect`, `provider_auth`, `provider_status`, `provider_rate_limited`, `provider_protocol`, `provider_error`, `provider_interrupted` */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `provider_timeout` */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/providers/{provider}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Makes one small request with the provider's current settings (its
         *     model list, or a chat request when it has no `/models`).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    provider: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description `{ok: true, latency_ms}` or `{ok: false, code, message}` */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ConnectionTest"];
                    };
                };
                /** @description `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/recent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Recent documents: pinned first, then most recent first. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RecentList"];
                    };
                };
            };
        };
        put?: never;
        /** Marks a registered document as just opened. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TouchRecentRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RecentFile"];
                    };
                };
                /** @description `unknown_document` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/recent/{doc_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Removes a document from the recent list (the file is untouched). */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    doc_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `not_recent` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/recent/{doc_id}/pin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Pins or unpins a recent document; pinned entries are never evicted. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    doc_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["PinRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RecentFile"];
                    };
                };
                /** @description `not_recent` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Which providers have a key, and where it is kept. Never the key. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SecretList"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/secrets/{provider}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Whether one provider has a key. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description `openrouter`, `ai-gateway` or `custom` */
                    provider: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SecretPresence"];
                    };
                };
                /** @description `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        /**
         * Stores a provider key: the OS keyring when a Secret Service answers,
         *     else `auth.json` (0600). Write-only.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    provider: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SetSecretRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SecretPresence"];
                    };
                };
                /** @description `invalid_key` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `secret_store_unavailable` */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        /** Deletes a provider key from every store. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    provider: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SecretPresence"];
                    };
                };
                /** @description `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Lists sessions, newest first, with paging and a text filter. */
        get: {
            parameters: {
                query?: {
                    /**
                     * @description Words that must all appear in the session's title or message text,
                     *     each as a word prefix, ignoring case and accents (never FTS syntax).
                     */
                    q?: string;
                    /** @description Only this document's sessions. */
                    doc_id?: string;
                    include_archived?: boolean;
                    /** @description Page size, 1..=200 (default 50). */
                    limit?: number;
                    offset?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SessionPage"];
                    };
                };
            };
        };
        put?: never;
        /** Creates a session. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CreateSession"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Session"];
                    };
                };
                /** @description `invalid_title`, `workspace_and_document` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_workspace`, `unknown_document` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One session, with its token usage. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Session"];
                    };
                };
                /** @description `unknown_session` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Deletes a session and its history (a running turn is aborted first). */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unknown_session` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Renames and/or archives a session. */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UpdateSession"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Session"];
                    };
                };
                /** @description `invalid_title`, `invalid_model` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_session`, `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/sessions/{id}/abort": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stops the running turn (the only thing that does). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AbortResult"];
                    };
                };
                /** @description `unknown_session` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}/approvals/{approval_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Answers a `tool-approval-request`. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    approval_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ApprovalAnswer"];
                };
            };
            responses: {
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unknown_session`, `unknown_approval` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}/changes/{change_id}/revert": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Undoes a revert (or any recorded change set) the same way. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    change_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["RevertRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Reverted"];
                    };
                };
                /** @description `workspace_not_allowed`: the session's workspace may no longer be one */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_session`, `unknown_turn`; `unknown_workspace`, `unknown_document`: the session's workspace or document is gone */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `changed_since` */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RevertConflict"];
                    };
                };
                /** @description `checkpoint_pruned` */
                410: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The session's messages, oldest first, as UI messages. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["MessageList"];
                    };
                };
                /** @description `unknown_session` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Server-sent events `data: {"status": "idle"|"busy"|"waiting-for-approval"|"error"}`:
         *     the current status first, then every change.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description status events */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": components["schemas"]["StatusEvent"];
                    };
                };
                /** @description `unknown_session` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Resumes the session's current or latest turn after `Last-Event-ID`
         *     (all of it without the header), then follows it live. Finished turns
         *     replay from the persisted chunk log, also after a host restart.
         */
        get: {
            parameters: {
                query?: never;
                header?: {
                    "Last-Event-ID"?: string | null;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description UI message stream */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": unknown;
                    };
                };
                /** @description `unknown_session`, `no_turn` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}/turns": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Starts a turn and streams it (AI SDK UI message stream v1, `text/event-stream`,
         *     header `x-vercel-ai-ui-message-stream: v1`). Every frame has an `id:`
         *     (`<turn_id>:<seq>`); the stream ends with `data: [DONE]`. Disconnecting
         *     does not stop the turn.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["StartTurn"];
                };
            };
            responses: {
                /** @description UI message stream */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": unknown;
                    };
                };
                /** @description `invalid_message`: empty; `invalid_max_steps` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_session`, `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `run_in_flight`, `provider_down` */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `invalid_message`: over 256 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}/turns/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Answers the session's last user message again because its answer
         *     failed (status `error` or `interrupted`), and streams the new turn like
         *     `POST /sessions/{id}/turns`. The question is not stored again; the
         *     failed answer is kept but superseded: no longer listed by
         *     `GET /sessions/{id}/messages` nor sent to the model. The title is
         *     unchanged.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["RetryTurn"];
                };
            };
            responses: {
                /** @description UI message stream */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": unknown;
                    };
                };
                /** @description `invalid_max_steps` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_session`, `unknown_provider` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `nothing_to_retry`: the last answer did not fail, there is none, or it answered another message than `expected_message`; `retry_after_changes`: the failed turn changed files (send a new message, so its changes and their Undo stay); `run_in_flight`, `provider_down` */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `invalid_message`: `expected_message` over 256 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}/turns/{turn_id}/changes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What a turn changed: per file, its status and a unified diff. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    turn_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TurnChanges"];
                    };
                };
                /** @description `unknown_session`, `unknown_turn` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `checkpoint_pruned` */
                410: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{id}/turns/{turn_id}/revert": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Restores every file the turn changed to its content before the turn,
         *     each atomically; recorded as a change of its own (`revert_id`), which
         *     `POST /sessions/{id}/changes/{revert_id}/revert` undoes.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    turn_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["RevertRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Reverted"];
                    };
                };
                /** @description `workspace_not_allowed`: the session's workspace may no longer be one */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_session`, `unknown_turn`; `unknown_workspace`, `unknown_document`: the session's workspace or document is gone */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `changed_since`: files changed since the turn (their paths in `files`) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RevertConflict"];
                    };
                };
                /** @description `checkpoint_pruned` */
                410: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workspaces": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Known workspaces: pinned first, then most recently opened. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WorkspaceList"];
                    };
                };
            };
        };
        put?: never;
        /** Opens a directory as a workspace; the id is stable for its real path. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["OpenPathRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Workspace"];
                    };
                };
                /** @description `invalid_path`, `not_a_directory` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `workspace_not_allowed`: a system directory, the home directory (or above it), or a directory holding or inside a protected location */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workspaces/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Forgets a workspace (the directory is untouched). */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unknown_workspace` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workspaces/{id}/file": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Reads a UTF-8 text file inside the workspace. */
        get: {
            parameters: {
                query?: {
                    /**
                     * @description Path relative to the workspace root (or absolute inside it); empty
                     *     means the root.
                     */
                    path?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["FileContent"];
                    };
                };
                /** @description `not_a_file` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `path_not_allowed` */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_workspace`, `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `file_too_large` */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `not_utf8` */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        /** Writes a text file inside the workspace atomically. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["WriteFileRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WriteResult"];
                    };
                };
                /** @description `not_a_file` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `path_not_allowed` */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_workspace` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `conflict` */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workspaces/{id}/pin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Pins or unpins a workspace. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["PinRequest"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Workspace"];
                    };
                };
                /** @description `unknown_workspace` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workspaces/{id}/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The workspace's tool permissions. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ToolPolicy"];
                    };
                };
                /** @description `unknown_workspace` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        /** Replaces the workspace's tool permissions. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ToolPolicy"];
                };
            };
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ToolPolicy"];
                    };
                };
                /** @description `invalid_path`: a read-only path that is not absolute */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `read_only_path_not_allowed`: a read-only path that is or holds the home directory or a protected location */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_workspace` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workspaces/{id}/tree": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Lists a directory inside the workspace. */
        get: {
            parameters: {
                query?: {
                    /**
                     * @description Path relative to the workspace root (or absolute inside it); empty
                     *     means the root.
                     */
                    path?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DirListing"];
                    };
                };
                /** @description `not_a_directory` */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `path_not_allowed`: outside the workspace; `workspace_not_allowed` */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description `unknown_workspace`, `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AbortResult: {
            /** @description False when no turn was running. */
            aborted: boolean;
        };
        ApprovalAnswer: {
            approved: boolean;
        };
        /**
         * @description Who changed a document on disk.
         * @enum {string}
         */
        ChangeSource: "agent" | "window" | "external";
        /** @description One file a turn changed. */
        ChangedFile: {
            /** Format: int32 */
            additions: number;
            /** Format: int32 */
            deletions: number;
            /** @description Unified diff with three lines of context (empty when untracked). */
            diff: string;
            path: string;
            status: components["schemas"]["FileStatus"];
            /** @description Over the size limit or not text: listed, not diffed or restorable. */
            untracked: boolean;
        };
        CommandRule: {
            /**
             * @description Pattern for what the command runs, `*` matching any run of
             *     characters. Matched against the program's name and its unquoted
             *     arguments (`/bin/rm`, `env rm`, `sh -c 'rm …'` are all `rm …`); a line
             *     that is not one simple command only matches deny rules.
             */
            pattern: string;
            permission: components["schemas"]["Permission"];
        };
        /** @description The result of a connection test. */
        ConnectionTest: {
            /** @description Without `ok`: `provider_down` (not configured) or a provider code. */
            code?: string | null;
            /**
             * Format: int64
             * @description With `ok`: how long the request took.
             */
            latency_ms?: number | null;
            message?: string | null;
            ok: boolean;
        };
        CreateSession: {
            /**
             * @description The session belongs to this document (exclusive with
             *     `workspace_id`): its turns see it and may edit it.
             */
            doc_id?: string | null;
            title?: string | null;
            /** @description Tools run in this workspace; without one the session has no tools. */
            workspace_id?: string | null;
        };
        DirEntry: {
            kind: components["schemas"]["EntryKind"];
            mtime: string;
            name: string;
            /** Format: int64 */
            size: number;
        };
        DirListing: {
            entries: components["schemas"]["DirEntry"][];
            path: string;
            /** @description True when the directory has more entries than the listing limit. */
            truncated: boolean;
        };
        DocumentContent: {
            content: string;
            doc_id: string;
            /** @description Version token (opaque: modification time, inode and size). */
            mtime: string;
            path: string;
        };
        DocumentInfo: {
            /** @description Stable id: the same file through any path or symlink, across restarts. */
            doc_id: string;
            name: string;
            /** @description Canonical path. */
            path: string;
        };
        /** @enum {string} */
        EntryKind: "file" | "dir" | "symlink" | "other";
        /** @description The `error` object of every error response. */
        ErrorDetail: {
            /** @description Stable, machine-readable code, e.g. `conflict`, `path_not_allowed`. */
            code: string;
            /** @description Human-readable explanation; never contains a secret. */
            message: string;
        };
        /** @description Every error: `{"error":{"code":"...","message":"..."}}`. */
        ErrorResponse: {
            error: components["schemas"]["ErrorDetail"];
        };
        FileContent: {
            content: string;
            mtime: string;
            path: string;
        };
        /**
         * @description How a file ended up after a turn.
         * @enum {string}
         */
        FileStatus: "added" | "modified" | "deleted";
        HandshakeRequest: {
            /** @description Free-form client name, for logs. */
            client?: string | null;
            /**
             * Format: int64
             * @description The protocol version the client speaks.
             */
            protocol: number;
        };
        HandshakeResponse: {
            /** @description What this host can do; clients feature-detect on it. */
            capabilities: string[];
            /** Format: int64 */
            protocol: number;
            version: string;
        };
        Health: {
            /** Format: int64 */
            protocol: number;
            /** @description Always `ok` when the host answers. */
            status: string;
            /** Format: int64 */
            uptime_ms: number;
            version: string;
        };
        /** @description One event. The JSON `type` names it; the other fields depend on it. */
        HostEvent: {
            /** @enum {string} */
            type: "resync";
        } | {
            doc_id: string;
            source: components["schemas"]["ChangeSource"];
            /** @enum {string} */
            type: "document.changed";
            version: string;
        } | {
            doc_id: string;
            /** @enum {string} */
            type: "document.removed";
        } | {
            doc_id: string;
            path: string;
            /** @enum {string} */
            type: "document.moved";
        } | {
            session_id: string;
            /** @enum {string} */
            type: "session.created";
        } | {
            session_id: string;
            /** @enum {string} */
            type: "session.updated";
        } | {
            session_id: string;
            /** @enum {string} */
            type: "session.deleted";
        } | {
            session_id: string;
            status: components["schemas"]["SessionStatus"];
            /** @enum {string} */
            type: "turn.status";
        } | {
            /** @enum {string} */
            type: "recent.changed";
        } | {
            /** @enum {string} */
            type: "workspace.changed";
        };
        /**
         * @description One server-sent event of `GET /events` as a client's SSE parser gives
         *     it: `data` is one `HostEvent` as JSON.
         */
        HostEventFrame: {
            /** @description A `HostEvent` (its `type` names it). */
            data: string;
            /** @description Always the default, `message`. */
            event?: string | null;
            /** @description `<run>-<seq>`; send the last one seen as `Last-Event-ID`. */
            id: string;
        };
        /** @description A local OpenAI-compatible server that answered. */
        LocalServerBody: {
            /** @description `http://127.0.0.1:<port>/v1`, ready for `PUT /providers/custom`. */
            base_url: string;
            models: components["schemas"]["Model"][];
            /** @description `ollama`, `llama.cpp`, `lm-studio` or `vllm` (by port). */
            server: string;
        };
        LocalServers: {
            servers: components["schemas"]["LocalServerBody"][];
        };
        /** @description A stored message in the AI SDK `UIMessage` shape (`parts` as streamed). */
        Message: {
            id: string;
            metadata: components["schemas"]["MessageMetadata"];
            parts: Record<string, never>[];
            role: string;
        };
        MessageError: {
            /**
             * @description A stable code: the provider's (`provider_status`, `provider_error`,
             *     `provider_timeout`, …) or `host_stopped` (the host died while the
             *     turn ran).
             */
            code: string;
            /** @description What happened, for a person (never a key). */
            message: string;
        };
        MessageList: {
            messages: components["schemas"]["Message"][];
        };
        MessageMetadata: {
            /** Format: int64 */
            created_at_ms: number;
            error?: null | components["schemas"]["MessageError"];
            /** @description `complete`, `streaming`, `aborted`, `error` or `interrupted`. */
            status: string;
            /**
             * @description The turn that wrote this answer (assistant messages): its changes
             *     are `GET /sessions/{id}/turns/{turn_id}/changes`.
             */
            turnId?: string | null;
            usage?: null | components["schemas"]["MessageUsage"];
        };
        MessageUsage: {
            /**
             * Format: double
             * @description US dollars, when the provider reported it (OpenRouter).
             */
            cost?: number | null;
            /** Format: int64 */
            input_tokens: number;
            /** Format: int64 */
            output_tokens: number;
        };
        /** @description One model of a provider's or a local server's list. */
        Model: {
            /**
             * Format: int64
             * @description Tokens of context, when the provider says.
             */
            context_length?: number | null;
            id: string;
            /** @description A display name, when the provider gives one (OpenRouter). */
            name?: string | null;
            pricing?: null | components["schemas"]["ModelPricing"];
        };
        ModelListBody: {
            error?: null | components["schemas"]["ErrorDetail"];
            /**
             * Format: int64
             * @description When this list was fetched from the provider (ms since the epoch).
             */
            fetched_at_ms: number;
            models: components["schemas"]["Model"][];
            /**
             * @description True when the provider failed just now and this is the last list
             *     it gave; `error` says why.
             */
            stale: boolean;
        };
        ModelPricing: {
            completion?: string | null;
            prompt?: string | null;
        };
        /** @description `POST /documents`: open a file, or create one (Save As). */
        OpenDocumentRequest: {
            /**
             * @description Create the file with this text (a window's Save As). Its directory
             *     must exist; an existing file is never replaced (409 `conflict`).
             */
            content?: string | null;
            /** @description Absolute path on the host's filesystem. */
            path: string;
        };
        OpenPathRequest: {
            /** @description Absolute path on the host's filesystem. */
            path: string;
        };
        /** @enum {string} */
        Permission: "allow" | "ask" | "deny";
        PinRequest: {
            pinned: boolean;
        };
        ProviderList: {
            /** @description In resolution order. */
            providers: components["schemas"]["ProviderStatus"][];
        };
        ProviderSettings: {
            /** @description Overrides the provider's base URL (required for `custom`). */
            base_url?: string | null;
            /** @description Model used when a turn names none. */
            default_model?: string | null;
            /**
             * Format: int64
             * @description Time allowed until the provider's first chunk (default 60 s).
             */
            first_chunk_timeout_ms?: number | null;
            /**
             * Format: int64
             * @description Time allowed between chunks once streaming (default 60 s).
             */
            idle_timeout_ms?: number | null;
            /**
             * Format: int32
             * @description Retries on 429/5xx before the first token (default 3).
             */
            max_retries?: number | null;
        };
        /**
         * @description A change to one provider's settings (`PATCH`): a field left out keeps
         *     its stored value, `null` puts it back to the default, a value replaces
         *     it. (`PUT` replaces them all: a form that sends only what it shows
         *     would reset the rest.)
         */
        ProviderSettingsPatch: {
            /** @description Overrides the provider's base URL (required for `custom`). */
            base_url?: string | null;
            /** @description Model used when a turn names none. */
            default_model?: string | null;
            /**
             * Format: int64
             * @description Time allowed until the provider's first chunk (default 60 s).
             */
            first_chunk_timeout_ms?: number | null;
            /**
             * Format: int64
             * @description Time allowed between chunks once streaming (default 60 s).
             */
            idle_timeout_ms?: number | null;
            /**
             * Format: int32
             * @description Retries on 429/5xx before the first token (default 3).
             */
            max_retries?: number | null;
        };
        /** @description One provider's availability, for the renderer's settings page. */
        ProviderStatus: {
            available: boolean;
            base_url: string;
            default_model: string;
            has_key: boolean;
            provider: string;
        };
        RecentFile: {
            doc_id: string;
            /** Format: int64 */
            last_opened_ms: number;
            path: string;
            pinned: boolean;
        };
        RecentList: {
            /** @description Pinned first, then most recent first. */
            entries: components["schemas"]["RecentFile"][];
        };
        /**
         * @description `POST /sessions/{id}/turns/retry`: a turn's options, without a message
         *     (the stored question is answered again).
         */
        RetryTurn: {
            context?: null | components["schemas"]["TurnContextBody"];
            /**
             * @description The text of the user message the client means to retry. When the
             *     session's failed turn answered another message (the client's was
             *     refused before it was stored), 409 `nothing_to_retry`: send it as a
             *     new turn.
             */
            expected_message?: string | null;
            /**
             * Format: int32
             * @description Model calls allowed in this turn (default 20, at most 50).
             */
            max_steps?: number | null;
            model?: string | null;
            /** @description `openrouter`, `ai-gateway` or `custom`; skips the resolution order. */
            provider?: string | null;
        };
        /** @description A revert refused because files changed since the turn. */
        RevertConflict: {
            error: components["schemas"]["ErrorDetail"];
            /** @description The files whose content is no longer what the turn left. */
            files: string[];
        };
        RevertRequest: {
            /** @description Overwrite files that changed since the turn. */
            force?: boolean;
        };
        /** @description What a revert did. */
        Reverted: {
            /** @description Files restored to their content before the turn. */
            restored: string[];
            /** @description The change set of this revert (revert it to undo the undo). */
            revert_id: string;
            /**
             * @description Files that could not be restored, with why (untracked content, a
             *     refused path, a write that failed).
             */
            skipped: components["schemas"]["SkippedFile"][];
        };
        SecretList: {
            providers: components["schemas"]["SecretPresence"][];
        };
        SecretPresence: {
            present: boolean;
            /** @description `openrouter`, `ai-gateway` or `custom`. */
            provider: string;
            store?: null | components["schemas"]["SecretStoreKind"];
        };
        /** @enum {string} */
        SecretStoreKind: "keyring" | "file";
        /** @description A selection as UTF-16 offsets into the document's text (CodeMirror's). */
        SelectionBody: {
            from: number;
            to: number;
        };
        Session: {
            archived: boolean;
            /**
             * @description The languages its newest code blocks name (the first word of each
             *     fence's info string, lower-cased), newest first, at most 6: a
             *     window can load their highlighting before the messages arrive.
             */
            code_languages: string[];
            /** Format: int64 */
            created_at_ms: number;
            /**
             * @description The document the session belongs to (its turns get
             *     `read_document` and `edit_document`).
             */
            doc_id?: string | null;
            id: string;
            model?: string | null;
            /**
             * @description `provider`/`model` were chosen with `PATCH /sessions/{id}`: a turn
             *     that names none uses them. Otherwise they say what the latest turn
             *     used, and a turn uses the first configured provider and its default
             *     model.
             */
            model_chosen: boolean;
            provider?: string | null;
            title: string;
            /** Format: int64 */
            updated_at_ms: number;
            usage: components["schemas"]["Usage"];
            workspace_id?: string | null;
        };
        SessionPage: {
            sessions: components["schemas"]["Session"][];
            /** Format: int64 */
            total: number;
        };
        /** @enum {string} */
        SessionStatus: "idle" | "busy" | "waiting-for-approval" | "error";
        SetSecretRequest: {
            /** @description The API key. Write-only: no route ever returns it. */
            key: string;
        };
        SkippedFile: {
            path: string;
            reason: string;
        };
        StartTurn: {
            context?: null | components["schemas"]["TurnContextBody"];
            /**
             * Format: int32
             * @description Model calls allowed in this turn (default 20, at most 50).
             */
            max_steps?: number | null;
            /** @description The user's message. */
            message: string;
            model?: string | null;
            /** @description `openrouter`, `ai-gateway` or `custom`; skips the resolution order. */
            provider?: string | null;
        };
        StatusEvent: {
            status: components["schemas"]["SessionStatus"];
        };
        ToolPolicy: {
            /** @description Checked in order for `run_command`; the first match wins over `tools`. */
            commands?: components["schemas"]["CommandRule"][];
            /**
             * @description Extra paths `run_command`'s sandbox shows read-only, so real work
             *     runs (toolchains: `~/.cargo`, `~/.rustup`, `~/.nvm`); `~/` is the
             *     home directory. Refused when a path is or holds the home directory
             *     or a protected location.
             */
            read_only_paths?: string[];
            /** @description Permission per tool name; tools not listed are `ask`. */
            tools: {
                [key: string]: components["schemas"]["Permission"];
            };
        };
        TouchRecentRequest: {
            doc_id: string;
        };
        /** @description `GET /sessions/{id}/turns/{turn_id}/changes`. */
        TurnChanges: {
            files: components["schemas"]["ChangedFile"][];
            turn_id: string;
        };
        TurnContextBody: {
            doc_id: string;
            selection?: null | components["schemas"]["SelectionBody"];
        };
        UpdateSession: {
            archived?: boolean | null;
            /** @description The session's model from now on (with the session's provider). */
            model?: string | null;
            /**
             * @description The session's provider from now on (`openrouter`, `ai-gateway`,
             *     `custom`); without `model`, the provider's default model.
             */
            provider?: string | null;
            title?: string | null;
        };
        /** @description What a session used over all its turns. */
        Usage: {
            /**
             * Format: double
             * @description US dollars: the sum of the costs its turns' answers report
             *     (`metadata.usage.cost`); absent when none reported one.
             */
            cost?: number | null;
            /**
             * @description Present (true) when the sum leaves out a turn that used tokens
             *     without a reported cost (a provider that does not report it, or a
             *     turn mixing calls that did and did not): the real cost is at least
             *     `cost`. Absent when `cost` covers every turn, and without a `cost`.
             */
            cost_partial?: boolean;
            /** Format: int64 */
            input_tokens: number;
            /** Format: int64 */
            output_tokens: number;
        };
        Workspace: {
            /** @description Stable id for the directory's real path. */
            id: string;
            /** Format: int64 */
            last_opened_ms: number;
            name: string;
            path: string;
            pinned: boolean;
        };
        WorkspaceList: {
            workspaces: components["schemas"]["Workspace"][];
        };
        WriteDocumentRequest: {
            content: string;
            /**
             * @description The `mtime` the client last read; a mismatch answers 409 `conflict`.
             *     Ignored with `recreate`.
             */
            expected_mtime?: string;
            /**
             * @description The file was removed on disk and the window still has its text:
             *     write it again at the same path. 409 `conflict` when a file is there
             *     again by now.
             */
            recreate?: boolean;
        };
        WriteFileRequest: {
            content: string;
            /**
             * @description When present, the write only happens if the file is still at this
             *     version (409 `conflict` otherwise). Absent: create or overwrite.
             */
            expected_mtime?: string | null;
            path: string;
        };
        WriteResult: {
            /** @description The new version token. */
            mtime: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
