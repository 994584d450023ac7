"""Pure rules of crisis-pager. Standard library only; time is always passed in."""
