// jstat ships no type declarations; significance.ts declares the one function it uses.
declare module 'jstat';
