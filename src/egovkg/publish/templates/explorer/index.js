"use strict";
// index.html has nothing of its own to do: the shared script switches the language and carries it along.
