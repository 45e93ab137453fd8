// The end-to-end demo lands with the demo issue; until then say so plainly and succeed.
console.log('alga demo: not yet — the end-to-end demo arrives with `alga serve` and the example UI.');
console.log('Run `npm test` to see every part working on real components.');
