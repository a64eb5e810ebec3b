"""Rate limits: ``memory`` counts per connection inside one process (floods);
``database`` keeps the counts every hub process shares (resume-code guessing, account
mail, sign-in, new conversations, mail answers)."""
