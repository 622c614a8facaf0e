// Generated from src/preload/preload.ts by `npm --prefix web run gen`: do not edit.
"use strict";
(function() {
	// src/desktop/constants.json
	var root = "/desktop";
	var hostStateEvent = "desktop:host-state";
	var saveAsEvent = "desktop:save-as";
	var folderChosenEvent = "desktop:folder-chosen";
	var forbiddenHeaders = [
		"authorization",
		"host",
		"origin",
		"referer",
		"cookie"
	];
	// src/preload/preload.ts
	(() => {
		if (window !== window.top) return;
		const ORIGIN = __RENDERER_ORIGIN__;
		const ROOT = root;
		const path = location.pathname;
		if (location.origin !== ORIGIN) return;
		if (path !== ROOT && !path.startsWith(ROOT + "/")) return;
		const EVENT = hostStateEvent;
		const forbidden = new Set(forbiddenHeaders);
		const realFetch = window.fetch.bind(window);
		const addListener = window.addEventListener.bind(window);
		const removeListener = window.removeEventListener.bind(window);
		const shellAction = (name, body) => realFetch("hostapi://shell/" + name, {
			method: "POST",
			body: JSON.stringify(body),
			headers: { "content-type": "application/json" },
			cache: "no-store",
			credentials: "omit",
			referrerPolicy: "unsafe-url",
			mode: "cors"
		}).then((r) => {
			if (!r.ok) throw new Error("the shell refused " + name + " (" + r.status + ")");
		});
		const askForPath = (name, body, answer) => new Promise((resolve, reject) => {
			const listener = (event) => {
				removeListener(answer, listener);
				const path = event.detail?.path;
				resolve(typeof path === "string" ? path : null);
			};
			addListener(answer, listener);
			shellAction(name, body).catch((error) => {
				removeListener(answer, listener);
				reject(error);
			});
		});
		const shell = Object.freeze({
			open: (path) => shellAction("open", { path: String(path) }),
			openDialog: () => shellAction("open-dialog", {}),
			saveDialog: (name) => askForPath("save-dialog", { name: String(name) }, saveAsEvent),
			chooseFolder: () => askForPath("folder-dialog", {}, folderChosenEvent),
			openExternal: (url) => shellAction("open-external", { url: String(url) }),
			setDirty: (dirty) => shellAction("dirty", { dirty: dirty === true }),
			close: () => shellAction("close", {}),
			quit: () => shellAction("quit", {})
		});
		const desktop = Object.freeze({
			fetch(path, init) {
				const options = init || {};
				if (typeof path !== "string" || !path.startsWith("/")) return Promise.reject(/* @__PURE__ */ new TypeError("path must start with \"/\""));
				const headers = {};
				for (const [name, value] of Object.entries(options.headers || {})) if (!forbidden.has(String(name).toLowerCase())) headers[name] = String(value);
				return realFetch("hostapi://host" + path, {
					method: options.method || "GET",
					body: options.body,
					headers,
					signal: options.signal,
					cache: "no-store",
					credentials: "omit",
					referrerPolicy: "unsafe-url",
					mode: "cors"
				});
			},
			onHostState(cb) {
				const listener = (event) => {
					try {
						cb(event.detail);
					} catch (error) {
						console.error(error);
					}
				};
				addListener(EVENT, listener);
				return () => removeListener(EVENT, listener);
			},
			shell
		});
		Object.defineProperty(window, "desktop", {
			value: desktop,
			writable: false,
			enumerable: true,
			configurable: false
		});
	})();
})();
